"""Spaced review of missed quiz questions on SQLite and PostgreSQL: missed questions come back
after 1, 3, 10, 30 and 60 days, one nudge per learner, and only a current button moves them."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import ReviewItemRow, SendRow
from learning.content import Library
from learning.content_loader import load
from learning.db import make_engine, session_factory, upgrade
from learning.journey import Journey
from learning.place import Places
from learning.quiz import QuizFlow
from learning.records import RecordStore
from learning.replies import Reply
from learning.repository import Learner, SqlLearnerRepository
from learning.review import ReviewItem, ReviewPlanner, Reviews
from learning.sends import SendQueue

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"
T0 = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class World:
    """The learner store, the review services and a clock, on one database."""

    def __init__(self, sessions: sessionmaker[Session], library: Library) -> None:
        self.sessions = sessions
        self.library = library
        self.clock = Clock()
        self.learners = SqlLearnerRepository(sessions)
        self.reviews = Reviews(sessions, library, self.clock)
        self.planner = ReviewPlanner(sessions, SendQueue(sessions, self.clock), library, self.clock)

    def learner(self, uid: str, *, channel: str = "telegram", language: str = "en") -> Learner:
        learner = self.learners.get_or_create(channel, uid)
        return self.learners.set_language(learner.id, language)

    def miss(self, learner: Learner, question: str = "q1a", quiz: str = "q1") -> ReviewItem:
        self.reviews.record_miss(learner.id, "demo", quiz, question)
        return self.item(learner, question)

    def item(self, learner: Learner, question: str = "q1a") -> ReviewItem:
        with self.sessions() as session:
            row = session.scalars(
                select(ReviewItemRow).filter_by(learner_id=learner.id, question_id=question)
            ).one()
            item = self.reviews.get(row.id)
        assert item is not None
        return item

    def sends(self, learner: Learner | None = None) -> list[tuple[str, str | None, dict[str, Any]]]:
        """(key, channel, payload) of the review nudges queued, oldest first."""
        query = select(SendRow).where(SendRow.kind == "review").order_by(SendRow.id)
        if learner is not None:
            query = query.where(SendRow.learner_id == learner.id)
        with self.sessions() as session:
            return [
                (s.key, s.channel, json.loads(s.payload or "{}")) for s in session.scalars(query)
            ]

    def at(self, moment: datetime) -> World:
        self.clock.now = moment
        return self


def tap(payload: dict[str, Any], title: str) -> tuple[str, str, str]:
    """(item, option, n) of the button with this title in a nudge payload."""
    for b in payload["buttons"]:
        if b["title"] == title:
            entities = json.loads(b["payload"].removeprefix("/review_answer"))
            return entities["item"], entities["option"], entities["n"]
    raise AssertionError(f"no button {title!r} in {payload['buttons']}")


@pytest.fixture
def world(db_url: str) -> World:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    return World(session_factory(engine), load(CONTENT))


def test_a_missed_question_is_due_after_one_day(world: World) -> None:
    asha = world.learner("1")
    item = world.miss(asha)
    assert (item.stage, item.due_at, item.reviews, item.retired_at) == (0, T0 + DAY, 0, None)
    assert world.at(T0 + DAY - timedelta(minutes=1)).planner.plan() == 0
    assert world.at(T0 + DAY).planner.plan() == 1
    [(key, channel, payload)] = world.sends(asha)
    assert key == f"review:{item.id}:1" and channel == "telegram"
    assert payload["response"] == "nudge_review"
    assert payload["args"] == {"course": "Demo course", "question": "Two plus two?"}
    assert [b["title"] for b in payload["buttons"]] == ["3", "4", "5"]
    assert [b["payload"] for b in payload["buttons"]] == [
        f'/review_answer{{"item":"{item.id}","option":"{o}","n":"1"}}' for o in "abc"
    ]


def test_right_answers_push_it_out_3_10_30_60_days_then_it_is_learned(world: World) -> None:
    asha = world.learner("1")
    item = world.miss(asha)
    now = T0 + DAY
    for days in (3, 10, 30, 60):
        assert world.at(now).planner.plan() == 1
        replies = world.reviews.answer(asha, *_right(world, asha))
        assert replies == [Reply("utter_review_correct", {"days": days})]
        item = world.item(asha)
        assert item.due_at == now + timedelta(days=days) and item.retired_at is None
        assert world.planner.plan() == 0  # not due again yet
        now += timedelta(days=days)
    assert world.at(now).planner.plan() == 1
    assert world.reviews.answer(asha, *_right(world, asha)) == [Reply("utter_review_learned")]
    assert world.item(asha).retired_at == now
    assert world.at(now + 365 * DAY).planner.plan() == 0


def _right(world: World, learner: Learner) -> tuple[str, str, str]:
    return tap(world.sends(learner)[-1][2], "4")


def test_a_wrong_answer_pulls_it_back_and_names_the_right_one(world: World) -> None:
    asha = world.learner("1", language="hi")
    world.miss(asha)
    now = T0 + DAY
    for days in (3, 10):  # stage 2
        world.at(now).planner.plan()
        world.reviews.answer(asha, *tap(world.sends(asha)[-1][2], "४"))
        now += timedelta(days=days)
    world.at(now).planner.plan()
    payload = world.sends(asha)[-1][2]
    assert payload["args"] == {"course": "डेमो कोर्स", "question": "दो और दो?"}
    replies = world.reviews.answer(asha, *tap(payload, "५"))
    assert replies == [Reply("utter_review_wrong", {"answer": "४", "days": 3})]
    item = world.item(asha)
    assert (item.stage, item.due_at) == (1, now + 3 * DAY)
    world.at(now + 3 * DAY).planner.plan()
    replies = world.reviews.answer(asha, *tap(world.sends(asha)[-1][2], "३"))
    assert replies == [Reply("utter_review_wrong", {"answer": "४", "days": 1})]
    assert world.item(asha).stage == 0  # stage 0 stays at 0


def test_stale_double_and_foreign_answers_move_nothing(world: World) -> None:
    asha, ravi = world.learner("1"), world.learner("2")
    item = world.miss(asha)
    stale = [Reply("utter_review_stale")]
    # Not asked yet (even when due): no button of it exists.
    assert world.at(T0 + DAY).reviews.answer(asha, str(item.id), "b", "0") == stale
    world.planner.plan()
    button = _right(world, asha)
    asked = world.item(asha)
    for args in [
        (str(item.id), "b", "2"),  # an ask that never was
        (str(item.id), "z", "1"),  # not an option
        ("999999", "b", "1"), ("abc", "b", "1"), ("²", "b", "1"), ("9" * 30, "b", "1"),
        (None, "b", "1"), (str(item.id), None, "1"), (str(item.id), "b", None),
    ]:  # fmt: skip
        assert world.reviews.answer(asha, *args) == stale, args
    assert world.reviews.answer(ravi, *button) == stale  # another learner's
    assert world.item(asha) == asked
    assert world.reviews.answer(asha, *button)[0].response == "utter_review_correct"
    moved = world.item(asha)
    assert world.at(T0 + 2 * DAY).reviews.answer(asha, *button) == stale  # the same button again
    assert world.reviews.answer(asha, button[0], "a", button[2]) == stale
    assert world.item(asha) == moved


def test_missing_it_again_relearns_it(world: World) -> None:
    asha = world.learner("1")
    world.miss(asha)
    world.at(T0 + DAY).planner.plan()
    world.reviews.answer(asha, *_right(world, asha))  # stage 1, due in 3 days
    # Due later than tomorrow: back to stage 0, due tomorrow.
    item = world.at(T0 + 2 * DAY).miss(asha)
    assert (item.stage, item.due_at, item.retired_at) == (0, T0 + 3 * DAY, None)
    world.at(T0 + 3 * DAY).planner.plan()
    world.reviews.answer(asha, *_right(world, asha))  # stage 1, due at T0 + 6 days
    # Overdue: back to stage 0, and it stays due.
    item = world.at(T0 + 8 * DAY).miss(asha)
    assert (item.stage, item.due_at) == (0, T0 + 6 * DAY)
    # Asked, then missed again in a quiz: its button still answers, from stage 0.
    world.planner.plan()
    world.miss(asha)
    assert world.reviews.answer(asha, *_right(world, asha)) == [
        Reply("utter_review_correct", {"days": 3})
    ]
    # Learned, then missed again: it comes back tomorrow, and old buttons stay stale.
    _learn(world, asha, "q1a", T0 + 11 * DAY)
    old = _right(world, asha)
    item = world.at(T0 + 400 * DAY).miss(asha)
    assert (item.stage, item.due_at, item.retired_at) == (0, T0 + 401 * DAY, None)
    assert world.reviews.answer(asha, *old) == [Reply("utter_review_stale")]
    assert world.at(T0 + 401 * DAY).planner.plan() == 1


def _learn(world: World, learner: Learner, question: str, now: datetime) -> None:
    """Answer every review question right until `question` is retired."""
    right = {"Two plus two?": "4", "The sky is?": "Blue"}
    while world.item(learner, question).retired_at is None:
        due = min(i.due_at for i in _items(world, learner) if i.retired_at is None)
        world.at(max(now, due)).planner.plan()
        payload = world.sends(learner)[-1][2]
        world.reviews.answer(learner, *tap(payload, right[payload["args"]["question"]]))
        now = world.clock.now + timedelta(hours=1)


def test_the_planner_asks_one_question_per_learner_at_a_time(world: World) -> None:
    asha, ravi = world.learner("1"), world.learner("2", channel="whatsapp")
    first = world.miss(asha, "q1b")
    world.at(T0 + timedelta(hours=1)).miss(asha, "q1a")
    world.miss(ravi, "q1a")
    assert world.at(T0 + 2 * DAY).planner.plan() == 2
    assert world.planner.plan() == 0  # idempotent: each learner's question is asked
    sent = world.sends()
    assert [(k, c) for k, c, _ in sent] == [
        (f"review:{first.id}:1", "telegram"),  # Asha's most overdue question
        (f"review:{world.item(ravi).id}:1", "whatsapp"),
    ]
    world.reviews.answer(asha, *tap(sent[0][2], "Blue"))
    assert world.planner.plan() == 1  # Asha's next question, now hers is answered
    assert world.sends(asha)[-1][0] == f"review:{world.item(asha).id}:1"
    assert world.planner.plan() == 0
    assert len(world.sends()) == 3


def test_the_planner_respects_opt_outs_channels_and_its_limit(world: World) -> None:
    asha, web, quiet = world.learner("1"), world.learner("2", channel="web"), world.learner("3")
    for learner in (asha, web, quiet):
        world.miss(learner)
    world.learners.set_reminders(quiet.id, False)
    assert world.at(T0 + DAY).planner.plan(limit=0) == 0
    assert world.planner.plan() == 1
    assert [k for k, _, _ in world.sends()] == [f"review:{world.item(asha).id}:1"]
    assert world.item(web).reviews == world.item(quiet).reviews == 0  # nobody asked them
    world.learners.set_reminders(quiet.id, True)
    assert world.planner.plan() == 1


def test_an_unanswered_question_is_asked_again_after_three_days(world: World) -> None:
    asha = world.learner("1")
    world.miss(asha)
    world.at(T0 + DAY).planner.plan()
    old = _right(world, asha)
    assert world.at(T0 + 4 * DAY - timedelta(minutes=1)).planner.plan() == 0
    assert world.at(T0 + 4 * DAY).planner.plan() == 1
    assert [k[-2:] for k, _, _ in world.sends(asha)] == [":1", ":2"]
    assert world.reviews.answer(asha, *old) == [Reply("utter_review_stale")]
    assert world.reviews.answer(asha, *_right(world, asha))[0].response == "utter_review_correct"


def test_a_question_gone_from_the_library_is_retired_quietly(world: World) -> None:
    asha = world.learner("1")
    gone = world.miss(asha, "q1x")  # not (or no longer) in the course
    world.at(T0 + timedelta(hours=1)).miss(asha, "q1a")
    assert world.at(T0 + 2 * DAY).planner.plan() == 1
    assert world.item(asha, "q1x").retired_at == T0 + 2 * DAY
    assert world.sends(asha)[0][0] == f"review:{world.item(asha).id}:1"
    # Asked, then gone by the time it is answered: retired, and the answer is stale.
    world.reviews.answer(asha, *_right(world, asha))
    world.at(T0 + 6 * DAY).planner.plan()
    empty = Reviews(world.sessions, Library(), world.clock)
    assert empty.answer(asha, *_right(world, asha)) == [Reply("utter_review_stale")]
    assert world.item(asha).retired_at == T0 + 6 * DAY
    assert gone.retired_at is None


def test_a_wrong_quiz_answer_puts_the_question_into_review(world: World) -> None:
    records = RecordStore(world.sessions)
    journey = Journey(world.library, records, rng=random.Random(1))
    places = Places(world.library, records, world.clock)
    flow = QuizFlow(records, places, 60, random.Random(1), reviews=world.reviews)
    asha = world.learner("1")
    replies = journey.enroll(asha, "demo")
    while replies[-1].response != "utter_quiz_question":
        replies = journey.next_step(asha)
    for _ in range(2):
        question = replies[-1]
        title = {"Two plus two?": "5", "The sky is?": "Blue"}[question.args["question"]]
        chosen = next(b for b in question.buttons if b["title"].endswith(f". {title}"))
        entities = json.loads(chosen["payload"].removeprefix("/answer_quiz"))
        replies = flow.answer(asha, "", entities["option"], entities["step"]).replies
        again = flow.answer(asha, "", entities["option"], entities["step"])  # a double tap
        assert again.replies[0].response == "utter_stale_button"
    assert replies[-1].response == "utter_quiz_failed"  # 1 of 2 right
    [(question_id, due)] = [(i.question_id, i.due_at) for i in _items(world, asha)]
    assert (question_id, due) == ("q1a", T0 + DAY)


def _items(world: World, learner: Learner) -> list[ReviewItem]:
    with world.sessions() as session:
        ids = session.scalars(select(ReviewItemRow.id).filter_by(learner_id=learner.id))
        return [item for i in ids if (item := world.reviews.get(i))]
