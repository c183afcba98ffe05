"""The automatic nudge planner: inactivity and deadline reminders queued as sends.

`NudgePlanner.plan()` finds the enrollments that call for a nudge now and queues one send per
occasion under its natural key (learning/schedule.py), so running it every few minutes queues
each nudge once. It only plans: the worker applies quiet hours, the opt-out and the daily cap
when it delivers. Candidates are chosen in SQL and read in keyset-paged chunks, each with its
channel (Telegram, then WhatsApp, as in learning/cohort.py) and the learner's latest message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from babel.core import UnknownLocaleError
from babel.dates import format_date
from sqlalchemy import Row, Select, case, exists, func, literal, not_, select
from sqlalchemy.orm import Session, sessionmaker

from learning import schedule
from learning.campaign_models import SendRow
from learning.cohort import channel_column
from learning.content import Course, Library, pick
from learning.models import ChannelLinkRow, EnrollmentRow, LearnerRow, LessonCompletionRow, aware
from learning.sends import SendQueue
from learning.store import Clock

log = logging.getLogger(__name__)


class _Nudge(NamedTuple):
    key: str
    learner_id: str
    channel: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class NudgeRules:
    """When nudges go out.

    Attributes:
        inactive_days: Days of silence before an inactivity nudge; 0 turns them off.
        deadline_days: Days before a due date with a reminder (the due day itself always has
            one, "d0").
        default_zone: The time zone of learners who have none (their local calendar day).
    """

    inactive_days: int = 3
    deadline_days: tuple[int, ...] = (7, 1)
    default_zone: str = "Asia/Kolkata"


def _base(language: str) -> str:
    """The base language code: "hi" for "hi-Latn" or "hi_IN"."""
    return language.replace("_", "-").split("-")[0].lower()


def format_due(due: date, language: str) -> str:
    """A due date written out in the learner's language ("hi-Latn" uses "hi"; else English)."""
    try:
        return str(format_date(due, format="long", locale=_base(language) or "en"))
    except (UnknownLocaleError, ValueError, TypeError):
        return str(format_date(due, format="long", locale="en"))


class NudgePlanner:
    """Queues inactivity and deadline nudges.

    Args:
        sessions: The learner store.
        queue: Where the nudges go.
        library: The courses (titles; enrollments in other courses are skipped).
        rules: When to nudge.
        clock: The current time (aware UTC).
        chunk_size: Enrollments read per query.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        queue: SendQueue,
        library: Library,
        rules: NudgeRules,
        clock: Clock,
        *,
        chunk_size: int = 1000,
    ) -> None:
        self._sessions = sessions
        self._queue = queue
        self._library = library
        self._rules = rules
        self._clock = clock
        self._chunk_size = chunk_size
        self._known = sorted(course.id for course in library)
        self._checked_unknown = False

    def plan(self) -> dict[str, int]:
        """Queue the nudges due now.

        Returns:
            Kind ("inactive", "deadline") → sends this call added to the queue (a learner with
            no reachable channel counts too: the row is recorded as skipped, no_channel).
        """
        now = self._clock()
        if not self._checked_unknown:
            self._log_unknown_courses()
        counts = {"inactive": 0, "deadline": 0}
        if self._rules.inactive_days > 0:
            counts["inactive"] = self._enqueue("inactive", self._inactive(now))
        counts["deadline"] = self._enqueue("deadline", self._deadlines(now))
        return counts

    # -- inactivity ------------------------------------------------------------------------

    def _inactive(self, now: datetime) -> Iterator[list[_Nudge]]:
        """Chunks of (key, learner id, channel, payload) for learners silent long enough."""
        cutoff = now - timedelta(days=self._rules.inactive_days)
        inbound = (
            select(func.max(ChannelLinkRow.last_inbound_at))
            .where(ChannelLinkRow.learner_id == EnrollmentRow.learner_id)
            .correlate(EnrollmentRow)  # also inside `nudged`, two levels down
            .scalar_subquery()
        )
        last = case((inbound > EnrollmentRow.updated_at, inbound), else_=EnrollmentRow.updated_at)
        prefix = (
            literal("inactive:") + EnrollmentRow.learner_id + ":" + EnrollmentRow.course_id + ":"
        )
        nudged = exists().where(  # this stretch of silence already has its nudge
            SendRow.learner_id == EnrollmentRow.learner_id,
            SendRow.kind == "inactive",
            func.substr(SendRow.key, 1, func.length(prefix)) == prefix,
            SendRow.created_at >= last,
        )
        wrote = exists().where(
            ChannelLinkRow.learner_id == EnrollmentRow.learner_id,
            ChannelLinkRow.last_inbound_at > cutoff,
        )
        query = select(
            EnrollmentRow.id, EnrollmentRow.learner_id, EnrollmentRow.course_id,
            EnrollmentRow.lesson_id, LearnerRow.name, LearnerRow.language, channel_column(),
            last.label("last_activity"),
        ).where(EnrollmentRow.updated_at <= cutoff, not_(wrote), not_(nudged))  # fmt: skip
        for rows in self._chunks(query):
            done = self._completed_lessons(rows)
            chunk: list[_Nudge] = []
            for row in rows:
                course = self._library.get(row.course_id)
                last_activity = aware(row.last_activity)
                if course is None or last_activity is None:
                    continue
                if not schedule.inactivity_due(last_activity, now, self._rules.inactive_days):
                    continue
                language = course.language_for(_base(row.language))
                finished = done.get((row.learner_id, course.id), set())
                lesson = _lesson_title(course, row.lesson_id, finished, language)
                args = {
                    "name": row.name or "",
                    "days": (now - last_activity).days,
                    "course": pick(course.title, language, course.source_language),
                    "lesson": lesson,
                    "course_id": course.id,
                }
                payload = _payload("nudge_inactive", args, course.id, row.language)
                key = schedule.inactivity_key(row.learner_id, course.id, last_activity)
                chunk.append(_Nudge(key, row.learner_id, row.channel, payload))
            yield chunk

    def _completed_lessons(self, rows: list[Row[Any]]) -> dict[tuple[str, str], set[str]]:
        """(learner, course) → the lessons completed, for these enrollments (one query)."""
        done: dict[tuple[str, str], set[str]] = {}
        if not rows:
            return done
        learners = {row.learner_id for row in rows}
        courses = {row.course_id for row in rows}
        with self._sessions() as session:
            found = session.execute(
                select(
                    LessonCompletionRow.learner_id,
                    LessonCompletionRow.course_id,
                    LessonCompletionRow.lesson_id,
                ).where(
                    LessonCompletionRow.learner_id.in_(learners),
                    LessonCompletionRow.course_id.in_(courses),
                )
            )
            for learner, course, lesson in found:
                done.setdefault((learner, course), set()).add(lesson)
        return done

    # -- deadlines -------------------------------------------------------------------------

    def _deadlines(self, now: datetime) -> Iterator[list[_Nudge]]:
        """Chunks of (key, learner id, channel, payload) for reminders due on the local today."""
        today = now.date()  # UTC: every local calendar date is within a day of it
        furthest = max(self._rules.deadline_days, default=0)
        query = select(
            EnrollmentRow.id, EnrollmentRow.learner_id, EnrollmentRow.course_id,
            EnrollmentRow.due_on, LearnerRow.name, LearnerRow.language, LearnerRow.timezone,
            channel_column(),
        ).where(
            EnrollmentRow.due_on.is_not(None),
            EnrollmentRow.due_on >= today - timedelta(days=1),
            EnrollmentRow.due_on <= today + timedelta(days=furthest + 1),
        )  # fmt: skip
        for rows in self._chunks(query):
            chunk: list[_Nudge] = []
            for row in rows:
                course = self._library.get(row.course_id)
                zone = schedule.learner_zone(row.timezone, self._rules.default_zone)
                label = schedule.deadline_reminder(row.due_on, now, zone, self._rules.deadline_days)
                if course is None or label is None:
                    continue
                language = course.language_for(_base(row.language))
                args: dict[str, Any] = {
                    "name": row.name or "",
                    "course": pick(course.title, language, course.source_language),
                    "due_date": format_due(row.due_on, row.language),
                    "course_id": course.id,
                }
                response = "nudge_deadline_today"
                if label != "d0":
                    response = "nudge_deadline"
                    args["days_left"] = (row.due_on - now.astimezone(zone).date()).days
                payload = _payload(response, args, course.id, row.language)
                key = schedule.deadline_key(row.learner_id, course.id, row.due_on, label)
                chunk.append(_Nudge(key, row.learner_id, row.channel, payload))
            yield chunk

    # -- shared ----------------------------------------------------------------------------

    def _chunks(self, query: Select[*tuple[Any, ...]]) -> Iterator[list[Row[Any]]]:
        """The rows of an enrollment query for unfinished courses in the library of learners
        who take reminders, `chunk_size` at a time (keyset-paged by enrollment id)."""
        query = (
            query.join(LearnerRow, LearnerRow.id == EnrollmentRow.learner_id)
            .where(
                EnrollmentRow.completed_at.is_(None),
                LearnerRow.reminders_enabled.is_(True),
                EnrollmentRow.course_id.in_(self._known),
            )
            .order_by(EnrollmentRow.id)
            .limit(self._chunk_size)
        )
        after: str | None = None
        while True:
            page = query if after is None else query.where(EnrollmentRow.id > after)
            with self._sessions() as session:
                rows = list(session.execute(page))
            if not rows:
                return
            yield rows
            if len(rows) < self._chunk_size:
                return
            after = rows[-1].id

    def _enqueue(self, kind: str, chunks: Iterator[list[_Nudge]]) -> int:
        """Queue each chunk's sends whose key is new; the number queued."""
        queued = 0
        for chunk in chunks:
            if not chunk:
                continue
            keys = [nudge.key for nudge in chunk]
            with self._sessions() as session:  # skip known keys without a write transaction
                seen = set(session.scalars(select(SendRow.key).where(SendRow.key.in_(keys))))
            for key, learner_id, channel, payload in chunk:
                if key not in seen and self._queue.enqueue(key, kind, learner_id, channel, payload):
                    queued += 1
        return queued

    def _log_unknown_courses(self) -> None:
        """Log (once per planner) the unfinished enrollments in courses no longer offered."""
        with self._sessions() as session:
            unknown = session.execute(
                select(EnrollmentRow.course_id, func.count())
                .where(
                    EnrollmentRow.completed_at.is_(None),
                    EnrollmentRow.course_id.not_in(self._known),
                )
                .group_by(EnrollmentRow.course_id)
            ).all()
        for course_id, count in unknown:
            log.info("no nudges for %d enrollment(s) in %r: not in the library", count, course_id)
        self._checked_unknown = True


def _lesson_title(course: Course, current: str | None, finished: set[str], language: str) -> str:
    """The title of the lesson the learner continues with: the current one unless completed,
    else the first one not completed (all completed: the current, else the last lesson)."""
    lessons = course.lessons()
    if not lessons:
        return ""
    lesson = course.lesson(current) if current else None
    if lesson is None or lesson.id in finished:
        lesson = next((x for x in lessons if x.id not in finished), lesson or lessons[-1])
    return lesson.text(language, course.source_language).title


def _payload(response: str, args: dict[str, Any], course_id: str, language: str) -> dict[str, Any]:
    return {"response": response, "args": args, "course_id": course_id, "language": language}
