"""Sunbird/iGOT content-state updates for learning events, in the platform's own identities,
never moving backwards.

Sunbird's lms-service takes ``PATCH /v1/content/state/update`` with
``{"request": {"userId", "contents": [{"courseId", "batchId", "contentId", "status",
"progress", "lastAccessTime"}]}}``, where status 1 is in progress and 2 is completed. A lesson
completion marks the lesson's content completed; course progress updates the course itself.

``userId`` is the learner's own platform user id (`LearnerRow.platform_user_id`, from the
roster), never Karmabot's learner id; ``batchId`` is the enrollment's batch
(`EnrollmentRow.batch_id`), else the course's batch from settings, else the default batch.

The highest state sent per (user, course, content) is kept in the learner store. A sender
claims the content items it is about to send (`SentStates.claim`): claimed items are locked
until the claim ends, states not above the recorded ones are dropped, and the new states are
recorded only when the send went through. Two workers therefore never interleave the states of
one content item, and nothing lower than what the platform has is ever sent again.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learning.events import EventKind, LearningEvent
from learning.models import EnrollmentRow, LearnerRow, PlatformStateRow, utcnow
from learning.store import insert_once

IN_PROGRESS, COMPLETED = 1, 2
_E = EnrollmentRow
_TRACKED = (EventKind.LESSON_COMPLETED, EventKind.COURSE_PROGRESSED, EventKind.COURSE_COMPLETED)


@dataclass(frozen=True)
class Identity:
    """Who a learner is on the platform, for one course (None where unknown)."""

    user_id: str | None
    batch_id: str | None


@dataclass(frozen=True)
class ContentState:
    """One content item's state for one platform user."""

    user_id: str
    course_id: str
    content_id: str
    status: int
    progress: int
    accessed: datetime
    batch_id: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """What the state is about: (user, course, content)."""
        return self.user_id, self.course_id, self.content_id

    def above(self, status: int, progress: int) -> bool:
        """Whether this state is a step forward from (status, progress)."""
        return (self.status, self.progress) > (status, progress)


def tracks(event: LearningEvent) -> bool:
    """Whether Sunbird keeps a content state for this kind of event."""
    return event.kind in _TRACKED and (
        event.kind != EventKind.LESSON_COMPLETED or bool(event.lesson_id)
    )


def state_for(event: LearningEvent, user_id: str, batch_id: str) -> ContentState | None:
    """The content state an event reports for platform user `user_id` in batch `batch_id`, or
    None for events Sunbird does not track."""
    if not tracks(event):
        return None
    if event.kind == EventKind.LESSON_COMPLETED:
        content, status, progress = event.lesson_id or "", COMPLETED, 100
    else:
        progress = 100 if event.kind == EventKind.COURSE_COMPLETED else int(event.progress or 0)
        content, status = event.course_id, COMPLETED if progress >= 100 else IN_PROGRESS
    return ContentState(
        user_id, event.course_id, content, status, progress, event.timestamp, batch_id
    )


def request_body(states: Sequence[ContentState]) -> dict[str, object]:
    """The content-state update request for one user's states."""
    return {
        "request": {
            "userId": states[0].user_id,
            "contents": [
                {
                    "courseId": s.course_id,
                    "batchId": s.batch_id,
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
        known = best.get(state.key)
        if known is None or not known.above(state.status, state.progress):
            best[state.key] = state
    return list(best.values())


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value else None


class PlatformIdentities:
    """Looks learners' platform user ids and batch ids up in the learner store.

    Args:
        sessions: The learner store.
        batches: Batch id per course id, for enrollments that have none of their own.
        default_batch: The batch of every other course, if any.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        batches: Mapping[str, str] | None = None,
        default_batch: str | None = None,
    ) -> None:
        self._sessions, self._batches = sessions, dict(batches or {})
        self._default = _clean(default_batch)

    def lookup(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Identity]:
        """The identity of each (learner id, course id)."""
        wanted = set(pairs)
        learners = {learner for learner, _ in wanted}
        if not learners:
            return {}
        with self._sessions() as session:
            users = dict(
                session.execute(
                    select(LearnerRow.id, LearnerRow.platform_user_id).where(
                        LearnerRow.id.in_(learners)
                    )
                ).all()
            )
            enrolled = {
                (learner, course): batch
                for learner, course, batch in session.execute(
                    select(
                        EnrollmentRow.learner_id, EnrollmentRow.course_id, EnrollmentRow.batch_id
                    )
                    .where(EnrollmentRow.learner_id.in_(learners))
                    .where(EnrollmentRow.batch_id.is_not(None))
                ).all()
            }
        return {
            (learner, course): Identity(
                _clean(users.get(learner)),
                _clean(enrolled.get((learner, course)))
                or _clean(self._batches.get(course))
                or self._default,
            )
            for learner, course in wanted
        }


@dataclass
class Claim:
    """Content items locked for one send; `ahead` are the states to send."""

    ahead: list[ContentState]
    _commit: Callable[[], None]
    _release: Callable[[], None]

    def finish(self, sent: bool) -> None:
        """Record the states as sent if the send went through; then release the locks."""
        try:
            if sent:
                self._commit()
        finally:
            self._release()


class SentStates:
    """The highest state sent per content item, kept in the learner store.

    On PostgreSQL a claim holds row locks on the items' `platform_state` rows (inserted when
    new) in one transaction, which also raises them; on SQLite, where a write transaction
    locks the whole file, a claim holds an exclusive lock on a side file instead and records
    in a short transaction of its own.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._local = threading.Lock()  # SQLite in memory: no file to lock

    @property
    def parallel(self) -> bool:
        """Whether claims on different content items run side by side (PostgreSQL), rather
        than one at a time (SQLite's side-file lock)."""
        bind = self._sessions.kw.get("bind")
        return bind is not None and bind.dialect.name == "postgresql"

    def claim(self, states: Sequence[ContentState]) -> Claim:
        """Lock the content items of `states` (waiting for other claims on them) and keep the
        states above what was sent; blocking, so call it in a worker thread."""
        ordered = sorted(newest(states), key=lambda s: s.key)  # one lock order: no deadlock
        if self.parallel:
            session = self._sessions()
            try:
                return Claim(self._raise(session, ordered), session.commit, session.close)
            except BaseException:
                session.close()
                raise
        bind = self._sessions.kw.get("bind")
        release = self._lock_file(bind.url.database if bind is not None else None)
        try:
            with self._sessions() as session:
                ahead = [s for s in ordered if _above(session, s)]
        except BaseException:
            release()
            raise
        return Claim(ahead, lambda: self.record(ahead), release)

    @staticmethod
    def _raise(session: Session, states: Sequence[ContentState]) -> list[ContentState]:
        """Raise the recorded states (rows locked, inserted when new); those that went up."""
        ahead = []
        for state in sorted(states, key=lambda s: s.key):
            if insert_once(session, PlatformStateRow, _values(state)) or _raised(session, state):
                ahead.append(state)
        session.flush()
        return ahead

    def _lock_file(self, database: str | None) -> Callable[[], None]:
        if not database or database == ":memory:":
            self._local.acquire()
            return self._local.release
        handle = os.open(f"{database}.sunbird-sync", os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except BaseException:
            os.close(handle)
            raise
        return lambda: os.close(handle)  # closing the file releases the lock

    def record(self, states: Sequence[ContentState]) -> None:
        """Remember states as sent, keeping the highest."""
        with self._sessions.begin() as session:
            self._raise(session, states)


def _query(state: ContentState) -> Any:
    return select(PlatformStateRow).filter_by(
        user_id=state.user_id, course_id=state.course_id, content_id=state.content_id
    )


def _above(session: Session, state: ContentState) -> bool:
    row = session.scalars(_query(state)).first()
    return row is None or state.above(row.status, row.progress)


def _raised(session: Session, state: ContentState) -> bool:
    """Raise the content item's recorded state to `state` (row locked); False if not above."""
    row = session.scalars(_query(state).with_for_update()).one()
    if not state.above(row.status, row.progress):
        return False
    row.status, row.progress, row.updated_at = state.status, state.progress, utcnow()
    return True


def _values(state: ContentState) -> dict[str, object]:
    return {
        "user_id": state.user_id,
        "course_id": state.course_id,
        "content_id": state.content_id,
        "status": state.status,
        "progress": state.progress,
        "updated_at": utcnow(),
    }
