"""What the actions are handed: built by the composition root (bot/container.py), never here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.i18n import Catalog
from learning.content import pick
from learning.dashboard_insight_gaps import GapQuestions
from learning.journey import Journey
from learning.repository import Learner, LearnerRepository
from learning.review import Reviews
from learning.supervisor import Supervision

if TYPE_CHECKING:
    from knowledge.base import Knowledge
    from knowledge.documents import Answer

#: Channel name for senders that reach Rasa directly (REST clients, `rasa test`).
DIRECT_CHANNEL = "rest"


@dataclass(frozen=True)
class ActionServices:
    """The services every action may use.

    Attributes:
        learners: The learner repository.
        journey: The course engine (it holds the content library and learner records).
        catalog: The localized catalog every reply is rendered from.
        knowledge: Returns the knowledge base; it is built on first use, since its model
            takes seconds to load.
        reviews: Spaced review of missed quiz questions (None: review answers are stale).
        supervision: A supervisor's menu and quick campaigns (None: not set up here).
        gaps: Unanswered questions by the asker's organisation, for the supervisor dashboard
            (None: not kept here).
    """

    learners: LearnerRepository
    journey: Journey
    catalog: Catalog
    knowledge: Callable[[], Knowledge]
    reviews: Reviews | None = None
    supervision: Supervision | None = None
    gaps: GapQuestions | None = None

    def learner(self, sender_id: str) -> Learner:
        """The learner behind a Rasa sender id (blocking: call it in a worker thread).

        The gateway uses the learner id as the sender id. Senders that talk to Rasa directly
        get a learner of their own, linked as channel `rest`.
        """
        found = self.learners.get_for_sender(sender_id, DIRECT_CHANNEL)  # one read, either kind
        return found or self.learners.get_or_create(DIRECT_CHANNEL, sender_id)

    def citation_line(self, answer: Answer, language: str) -> str:
        """Where an answer came from: "Course › Lesson", or for a document "Title › Page 3" /
        "Title › Section" (its heading), in `language`."""
        if not answer.citations:
            return ""
        citation = answer.citations[0]
        library = self.journey.library
        course = library.get(citation.course) if citation.course else None
        if course is None:
            document = citation.title or citation.source
            heading = citation.heading if citation.heading != document else ""
            return " › ".join(x for x in (document, heading) if x)
        lesson = course.lesson(citation.lesson) if citation.lesson else None
        place = course.language_for(language)
        title = lesson.text(place, course.source_language).title if lesson else citation.heading
        parts = (pick(course.title, language, course.source_language), title)
        return " › ".join(x for x in parts if x)
