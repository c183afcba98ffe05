"""Sunbird/iGOT content-state updates for learning events, never moving backwards.

Sunbird's lms-service takes ``PATCH /v1/content/state/update`` with
``{"request": {"userId", "contents": [{"courseId", "batchId", "contentId", "status",
"progress", "lastAccessTime"}]}}``, where status 1 is in progress and 2 is completed. A lesson
completion marks the lesson's content completed; course progress updates the course itself.
The highest state sent per (user, course, content) is kept in the learner store, and anything
lower is never sent again, whatever order retries arrive in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learning.events import EventKind, LearningEvent
from learning.models import PlatformStateRow, utcnow
from learning.store import insert_once

IN_PROGRESS, COMPLETED = 1, 2


@dataclass(frozen=True)
class ContentState:
    """One content item's state for one user."""

    user_id: str
    course_id: str
    content_id: str
    status: int
    progress: int
    accessed: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        """What the state is about: (user, course, content)."""
        return self.user_id, self.course_id, self.content_id

    def at_least(self, other: ContentState | None) -> bool:
        """Whether this state is no step back from `other`."""
        return other is None or (self.status, self.progress) >= (other.status, other.progress)


def state_for(event: LearningEvent) -> ContentState | None:
    """The content state an event reports, or None for events Sunbird does not track."""
    if event.kind == EventKind.LESSON_COMPLETED and event.lesson_id:
        return ContentState(
            event.learner_id, event.course_id, event.lesson_id, COMPLETED, 100, event.timestamp
        )
    if event.kind in (EventKind.COURSE_PROGRESSED, EventKind.COURSE_COMPLETED):
        progress = 100 if event.kind == EventKind.COURSE_COMPLETED else int(event.progress or 0)
        status = COMPLETED if progress >= 100 else IN_PROGRESS
        return ContentState(
            event.learner_id, event.course_id, event.course_id, status, progress, event.timestamp
        )
    return None


def request_body(states: Sequence[ContentState], batch_id: str) -> dict[str, object]:
    """The content-state update request for one user's states."""
    return {
        "request": {
            "userId": states[0].user_id,
            "contents": [
                {
                    "courseId": s.course_id,
                    "batchId": batch_id,
                    "contentId": s.content_id,
                    "status": s.status,
                    "progress": s.progress,
                    "lastAccessTime": s.accessed.strftime("%Y-%m-%d %H:%M:%S:%f")[:-3]
                    + s.accessed.strftime("%z"),
                }
                for s in states
            ],
        }
    }


def newest(states: Sequence[ContentState]) -> list[ContentState]:
    """The highest state per content item, in first-seen order."""
    best: dict[tuple[str, str, str], ContentState] = {}
    for state in states:
        if state.at_least(best.get(state.key)):
            best[state.key] = state
    return list(best.values())


class SentStates:
    """The highest state sent per content item, kept in the learner store."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def highest(self, state: ContentState) -> ContentState | None:
        """The highest state already sent for the same content item."""
        with self._sessions() as session:
            row = session.scalars(
                select(PlatformStateRow).filter_by(
                    user_id=state.user_id, course_id=state.course_id, content_id=state.content_id
                )
            ).first()
            if row is None:
                return None
            return ContentState(
                row.user_id, row.course_id, row.content_id, row.status, row.progress, state.accessed
            )

    def record(self, states: Sequence[ContentState]) -> None:
        """Remember states as sent, keeping the highest."""
        with self._sessions.begin() as session:
            for state in states:
                values = {
                    "user_id": state.user_id,
                    "course_id": state.course_id,
                    "content_id": state.content_id,
                    "status": state.status,
                    "progress": state.progress,
                    "updated_at": utcnow(),
                }
                if insert_once(session, PlatformStateRow, values):
                    continue
                row = session.scalars(
                    select(PlatformStateRow)
                    .filter_by(
                        user_id=state.user_id,
                        course_id=state.course_id,
                        content_id=state.content_id,
                    )
                    .with_for_update()
                ).one()
                if (state.status, state.progress) > (row.status, row.progress):
                    row.status, row.progress, row.updated_at = (
                        state.status,
                        state.progress,
                        utcnow(),
                    )
