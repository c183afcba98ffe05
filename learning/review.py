"""Spaced review of missed quiz questions: asked again after 1, 3, 10, 30 and 60 days.

A question a learner gets wrong in a quiz becomes a review item (`Reviews.record_miss`), due one
day later. `ReviewPlanner` queues one review nudge per learner (the most overdue item) with the
question and its options as buttons; the answer (`Reviews.answer`) pushes the item out when it
is right, retires it after the last stage, and pulls it back when it is wrong.

An item is *asked* while its last ask is not yet answered: asking stamps `updated_at` and bumps
`reviews` (the ask's number, carried by the buttons as `n`), while answering and missing again
move `due_at` past `updated_at`. Only a button of the item's current ask moves the schedule, and
only once; a learner has one question asked at a time, asked again when left unanswered for
`reask_after`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from learning.campaign_models import ReviewItemRow
from learning.cohort import channel_column
from learning.content import Course, Library, Question, pick
from learning.models import LearnerRow, aware, utcnow
from learning.replies import Reply, button
from learning.repository import Learner
from learning.schedule import REVIEW_INTERVALS, ReviewState, after_review, first_review
from learning.sends import SendQueue
from learning.store import Clock, insert_once, skip_duplicates, write_one

_ITEMS = ReviewItemRow.__table__

#: How long an unanswered review question stays asked before it is asked again.
REASK_AFTER = timedelta(days=3)


class MissRecorder(Protocol):
    """What a quiz needs to send a missed question to spaced review."""

    def record_miss(self, learner_id: str, course_id: str, quiz_id: str, question_id: str) -> None:
        """Remember that the learner got this question wrong."""


@dataclass(frozen=True)
class ReviewItem:
    """A missed question in spaced review, as plain values."""

    id: int
    learner_id: str
    course_id: str
    quiz_id: str
    question_id: str
    stage: int
    due_at: datetime
    reviews: int
    retired_at: datetime | None
    updated_at: datetime


def _item(row: ReviewItemRow) -> ReviewItem:
    return ReviewItem(
        row.id, row.learner_id, row.course_id, row.quiz_id, row.question_id, row.stage,
        _utc(row.due_at), row.reviews, aware(row.retired_at), _utc(row.updated_at),
    )  # fmt: skip


def _number(text: str | None) -> int | None:
    """An item id from a button (a positive 32-bit integer), else None."""
    if text and text.isascii() and text.isdigit() and 0 < int(text) < 2**31:
        return int(text)
    return None


def _utc(moment: datetime) -> datetime:
    stored = aware(moment)
    assert stored is not None
    return stored


Found = tuple[Course, Question]


def find_question(library: Library, item: ReviewItem) -> Found | None:
    """The course and the question an item reviews, if the library still has them."""
    course = library.get(item.course_id)
    quiz = course.quiz(item.quiz_id) if course else None
    question = quiz.question(item.question_id) if quiz else None
    return (course, question) if course and question else None


def _retire(sessions: sessionmaker[Session], item_id: int, now: datetime) -> None:
    """Retire an item whose question is gone from the library."""
    with sessions.begin() as session:
        session.execute(
            update(ReviewItemRow)
            .where(ReviewItemRow.id == item_id, ReviewItemRow.retired_at.is_(None))
            .values(retired_at=now, updated_at=now)
        )


class Reviews:
    """Review items: missed questions recorded, review answers judged.

    Args:
        sessions: The learner store.
        library: The courses (the questions and their options).
        clock: The current time.
        intervals: Days until the next review at each stage.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        library: Library,
        clock: Clock = utcnow,
        intervals: tuple[int, ...] = REVIEW_INTERVALS,
    ) -> None:
        self._sessions = sessions
        self._library = library
        self._clock = clock
        self._intervals = intervals

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def record_miss(self, learner_id: str, course_id: str, quiz_id: str, question_id: str) -> None:
        """Put a missed question into review, due one interval from now.

        A question already in review is relearned: back to stage 0, and due tomorrow when it
        was retired or due later than that.
        """
        now = self._now()
        first = first_review(now, self._intervals)
        key = {"learner_id": learner_id, "course_id": course_id, "question_id": question_id}
        values = key | {"quiz_id": quiz_id, "stage": 0, "due_at": first.due_at, "reviews": 0,
                        "retired_at": None, "updated_at": now}  # fmt: skip
        # A new item is one statement of its own (on PostgreSQL no BEGIN and COMMIT around it);
        # one already there is relearned in a transaction that locks it.
        dialect = self._sessions.kw["bind"].dialect.name
        if write_one(self._sessions, skip_duplicates(_ITEMS, dialect, returning=True), **values):
            return
        with self._sessions.begin() as session:
            if insert_once(session, ReviewItemRow, values):  # gone in between: added now
                return
            row = session.scalars(select(ReviewItemRow).filter_by(**key).with_for_update()).one()
            row.stage, row.quiz_id = 0, quiz_id
            if row.retired_at is not None or _utc(row.due_at) > first.due_at:
                row.due_at, row.retired_at, row.updated_at = first.due_at, None, now

    def get(self, item_id: int) -> ReviewItem | None:
        """A review item by id."""
        with self._sessions() as session:
            row = session.get(ReviewItemRow, item_id)
            return _item(row) if row else None

    def answer(
        self, learner: Learner, item_id: str | None, option_id: str | None, n: str | None
    ) -> list[Reply]:
        """Judge the answer to a review question, given by the nudge's button.

        Args:
            learner: Who answered.
            item_id: The review item the button names.
            option_id: The option chosen.
            n: The ask the button belongs to (the item's `reviews` when it was asked).

        Returns:
            `utter_review_correct` (days until the next review), `utter_review_learned` (the
            item is retired), `utter_review_wrong` (the right answer, days until the next
            review), or `utter_review_stale` when the button is not the item's current ask
            (already answered, asked again, another learner's or unknown); then nothing moves.
        """
        stale = [Reply("utter_review_stale")]
        number = _number(item_id)
        item = self.get(number) if number is not None and option_id and n else None
        if item is None or item.learner_id != learner.id or str(item.reviews) != n:
            return stale
        if item.retired_at is not None or item.updated_at < item.due_at or not option_id:
            return stale  # not asked since it fell due: answered already, or missed again
        now = self._now()
        found = find_question(self._library, item)
        if found is None:
            _retire(self._sessions, item.id, now)
            return stale
        course, question = found
        if question.option(option_id) is None:
            return stale
        correct = option_id == question.answer
        stage = min(item.stage, len(self._intervals) - 1)
        after = after_review(ReviewState(stage, item.due_at), correct, now, self._intervals)
        if not self._move(item, after, now):
            return stale  # a double tap: the other one moved it
        if after is None:
            return [Reply("utter_review_learned")]
        days = self._intervals[after.stage]
        if correct:
            return [Reply("utter_review_correct", {"days": days})]
        language = course.language_for(learner.language)
        right = question.option(question.answer)
        text = pick(right.text, language, course.source_language) if right else ""
        return [Reply("utter_review_wrong", {"answer": text, "days": days})]

    def _move(self, item: ReviewItem, after: ReviewState | None, now: datetime) -> bool:
        """Move the item to its next review (None: retire it) if its ask is still open."""
        values: dict[str, Any] = {"updated_at": now, "retired_at": now}
        if after is not None:
            values = {"updated_at": now, "stage": after.stage, "due_at": after.due_at}
        with self._sessions.begin() as session:
            result = session.execute(
                update(ReviewItemRow)
                .where(ReviewItemRow.id == item.id, ReviewItemRow.reviews == item.reviews)
                .where(ReviewItemRow.stage == item.stage, ReviewItemRow.retired_at.is_(None))
                .where(ReviewItemRow.updated_at >= ReviewItemRow.due_at)  # still asked
                .values(**values)
            )
            return bool(getattr(result, "rowcount", 0))


class ReviewPlanner:
    """Queues review nudges: one due question per learner who takes reminders.

    Args:
        sessions: The learner store.
        queue: The delivery queue.
        library: The courses (a question no longer there is retired quietly).
        clock: The current time.
        reask_after: How long an unanswered question waits before it is asked again.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        queue: SendQueue,
        library: Library,
        clock: Clock = utcnow,
        reask_after: timedelta = REASK_AFTER,
    ) -> None:
        self._sessions = sessions
        self._queue = queue
        self._library = library
        self._clock = clock
        self._reask_after = reask_after

    def plan(self, limit: int = 1000) -> int:
        """Queue up to `limit` review nudges (the most overdue item of each learner).

        A learner gets none while another review question of theirs is asked and not yet
        answered (nor left unanswered for `reask_after`), nor when they turned reminders off
        or have no channel that can be reached unprompted.

        Returns:
            How many nudges were queued (a nudge queued before under the same key is not).
        """
        now = self._clock().astimezone(UTC)
        queued = 0
        while queued < limit:
            rows = self._due(now, limit - queued)
            retired = 0
            for item, language, channel in rows:
                found = find_question(self._library, item)
                if found is None:
                    _retire(self._sessions, item.id, now)
                    retired += 1
                elif self._ask(item, found, language, channel, now):
                    queued += 1
            if not retired:  # a learner whose question was gone may have another one due
                break
        return queued

    def _due(self, now: datetime, limit: int) -> list[tuple[ReviewItem, str, str]]:
        """(item, learner language, channel) of each learner's most overdue item.

        Only learners with reminders on, a reachable channel and no question asked and waiting.
        """
        other = aliased(ReviewItemRow)
        waiting = exists().where(
            other.learner_id == ReviewItemRow.learner_id,
            other.retired_at.is_(None),
            other.updated_at >= other.due_at,
            other.updated_at > now - self._reask_after,
        )
        rank = func.row_number().over(
            partition_by=ReviewItemRow.learner_id, order_by=(ReviewItemRow.due_at, ReviewItemRow.id)
        )
        columns = (ReviewItemRow.id, ReviewItemRow.due_at, LearnerRow.language, channel_column())
        due = (
            select(*columns, rank.label("rank"))
            .join(LearnerRow, LearnerRow.id == ReviewItemRow.learner_id)
            .where(ReviewItemRow.retired_at.is_(None), ReviewItemRow.due_at <= now)
            .where(LearnerRow.reminders_enabled.is_(True), ~waiting)
            .subquery("due")
        )
        query = (
            select(ReviewItemRow, due.c.language, due.c.channel)
            .join(due, due.c.id == ReviewItemRow.id)
            .where(due.c.rank == 1, due.c.channel.is_not(None))
            .order_by(due.c.due_at, due.c.id)
            .limit(limit)
        )
        with self._sessions() as session:
            rows = session.execute(query)
            return [(_item(row), language, channel) for row, language, channel in rows]

    def _ask(
        self, item: ReviewItem, found: Found, language: str, channel: str, now: datetime
    ) -> bool:
        """Queue the item's nudge and mark it asked; True if this call queued it."""
        course, question = found
        lang, src = course.language_for(language), course.source_language
        n = str(item.reviews + 1)
        buttons = [
            button(pick(o.text, lang, src), "review_answer", item=str(item.id), option=o.id, n=n)
            for o in question.options
        ]
        args = {
            "course": pick(course.title, lang, src),
            "question": pick(question.prompt, lang, src),
        }
        payload = {"response": "nudge_review", "args": args, "buttons": buttons}
        key = f"review:{item.id}:{n}"
        queued = self._queue.enqueue(key, "review", item.learner_id, channel, payload)
        # Marked after queueing: after a crash in between, the next run finds the key queued.
        with self._sessions.begin() as session:
            session.execute(
                update(ReviewItemRow)
                .where(ReviewItemRow.id == item.id, ReviewItemRow.reviews == item.reviews)
                .values(reviews=item.reviews + 1, updated_at=now)
            )
        return queued
