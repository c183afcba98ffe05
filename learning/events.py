"""Learning events: what happened to a learner, as plain values, ready to sync outward.

The course engine records an event for every completion, quiz answer and quiz result. Each event
is written to the outbox in the same transaction as the learner record it describes, and the
sync job turns it into an xAPI statement (learning/xapi.py) or a Sunbird content-state update
(learning/sunbird.py).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

#: Namespace for the stable UUIDs of events (and so of xAPI statement ids).
EVENT_NAMESPACE = uuid.UUID("6f1c6d52-2b6a-4c39-9d8e-3f0b7f4a9e11")


class EventKind(StrEnum):
    """The kinds of learning event."""

    LESSON_COMPLETED = "lesson_completed"
    QUESTION_ANSWERED = "question_answered"
    QUIZ_PASSED = "quiz_passed"
    QUIZ_FAILED = "quiz_failed"
    COURSE_PROGRESSED = "course_progressed"
    COURSE_COMPLETED = "course_completed"


@dataclass(frozen=True)
class LearningEvent:
    """One thing a learner did, with everything needed to report it.

    Attributes:
        kind: What happened.
        key: The natural key of the record it came from, e.g.
            ``lesson:<learner>:<course>:<lesson>``; equal keys mean the same event.
        learner_id: Karmabot's learner id.
        learner_name: Display name, if known.
        course_id: The course.
        course_version: The course's content version.
        registration: The enrollment id (a UUID), xAPI's context.registration.
        language: The language the learner took it in (ISO 639-1).
        timestamp: When it happened (timezone-aware UTC).
        lesson_id: The lesson, for lesson events and quiz answers.
        quiz_id: The quiz (module quiz id), for quiz events.
        question_id: The question, for question_answered.
        response: The option id chosen, for question_answered.
        success: Correct answer / passed quiz, where it applies.
        score_raw: Score, where it applies (correct answers for quizzes, 1/0 for answers).
        score_max: Maximum score, where it applies.
        progress: Course progress in percent (0-100), for course events.
        title: Human-readable name of the object (lesson, quiz or course title in English).
    """

    kind: EventKind
    key: str
    learner_id: str
    course_id: str
    course_version: int
    registration: str
    language: str
    timestamp: datetime
    learner_name: str | None = None
    lesson_id: str | None = None
    quiz_id: str | None = None
    question_id: str | None = None
    response: str | None = None
    success: bool | None = None
    score_raw: float | None = None
    score_max: float | None = None
    progress: int | None = None
    title: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """A UUID derived from the natural key: a resent event keeps its id."""
        return str(uuid.uuid5(EVENT_NAMESPACE, f"{self.kind}:{self.key}"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the outbox."""
        data = asdict(self)
        data["kind"] = str(self.kind)
        data["timestamp"] = self.timestamp.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearningEvent:
        """Inverse of `to_dict`."""
        values = dict(data)
        values["kind"] = EventKind(values["kind"])
        values["timestamp"] = datetime.fromisoformat(values["timestamp"])
        return cls(**values)
