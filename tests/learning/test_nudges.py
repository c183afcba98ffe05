"""The nudge planner on SQLite and PostgreSQL: inactivity and deadline nudges, queued once each,
in the learner's language, on the learner's local calendar day."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import SendRow
from learning.content import Library
from learning.content_loader import load
from learning.db import make_engine, session_factory, upgrade
from learning.models import ChannelLinkRow, EnrollmentRow, LearnerRow, LessonCompletionRow
from learning.nudges import NudgePlanner, NudgeRules, format_due
from learning.schedule import deadline_key, inactivity_key
from learning.sends import SendQueue

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"
T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 11:30 in India
DAY = timedelta(days=1)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    return session_factory(engine)


@pytest.fixture
def library() -> Library:
    return load(CONTENT)


def planner(
    sessions: sessionmaker[Session],
    library: Library,
    clock: Clock,
    rules: NudgeRules | None = None,
    chunk_size: int = 1000,
) -> NudgePlanner:
    queue = SendQueue(sessions, clock, worker="w1")
    return NudgePlanner(
        sessions, queue, library, rules or NudgeRules(), clock, chunk_size=chunk_size
    )


def add_learner(
    sessions: sessionmaker[Session],
    lid: str,
    *,
    language: str = "en",
    channels: tuple[str, ...] = ("telegram",),
    enabled: bool = True,
    timezone: str | None = None,
    name: str | None = None,
) -> None:
    with sessions.begin() as session:
        session.add(
            LearnerRow(
                id=lid, name=name or f"Learner {lid}", language=language, script="native",
                reminders_enabled=enabled, timezone=timezone,
                created_at=T0 - 60 * DAY, updated_at=T0 - 60 * DAY,
            )
        )  # fmt: skip
        for channel in channels:
            session.add(ChannelLinkRow(learner_id=lid, channel=channel, channel_user_id=f"{lid}"))


def enroll(
    sessions: sessionmaker[Session],
    lid: str,
    course: str = "demo",
    *,
    active: datetime = T0,
    lesson: str | None = None,
    completed: datetime | None = None,
    due: date | None = None,
) -> None:
    with sessions.begin() as session:
        session.add(
            EnrollmentRow(
                learner_id=lid, course_id=course, lesson_id=lesson, enrolled_at=T0 - 30 * DAY,
                updated_at=active, completed_at=completed, due_on=due,
            )
        )  # fmt: skip


def learned(sessions: sessionmaker[Session], lid: str, at: datetime) -> None:
    """The learner moved on in the demo course at `at`."""
    with sessions.begin() as session:
        session.execute(
            update(EnrollmentRow).where(EnrollmentRow.learner_id == lid).values(updated_at=at)
        )


def wrote(sessions: sessionmaker[Session], lid: str, at: datetime) -> None:
    """The learner sent a message at `at`."""
    with sessions.begin() as session:
        session.execute(
            update(ChannelLinkRow)
            .where(ChannelLinkRow.learner_id == lid)
            .values(last_inbound_at=at)
        )


def sends(sessions: sessionmaker[Session]) -> list[SendRow]:
    with sessions() as session:
        return list(session.scalars(select(SendRow).order_by(SendRow.id)))


def payload(row: SendRow) -> dict[str, Any]:
    assert row.payload is not None
    result: dict[str, Any] = json.loads(row.payload)
    return result


# --- inactivity --------------------------------------------------------------------------------


def test_an_inactivity_nudge_is_queued_after_n_days_once(
    sessions: sessionmaker[Session], library: Library
) -> None:
    add_learner(sessions, "a")
    enroll(sessions, "a", lesson="l1")
    clock = Clock(T0 + 3 * DAY - timedelta(seconds=1))
    nudges = planner(sessions, library, clock)
    assert nudges.plan() == {"inactive": 0, "deadline": 0}
    clock.now = T0 + 3 * DAY
    assert nudges.plan() == {"inactive": 1, "deadline": 0}
    assert nudges.plan() == {"inactive": 0, "deadline": 0}
    clock.now = T0 + 9 * DAY  # still the same silence
    assert nudges.plan()["inactive"] == 0
    [row] = sends(sessions)
    assert (row.key, row.kind, row.status, row.channel) == (
        inactivity_key("a", "demo", T0), "inactive", "queued", "telegram"
    )  # fmt: skip
    assert row.reason is None and row.learner_id == "a"


def test_a_learner_who_comes_back_and_goes_quiet_gets_a_new_nudge(
    sessions: sessionmaker[Session], library: Library
) -> None:
    add_learner(sessions, "a")
    enroll(sessions, "a")
    clock = Clock(T0 + 3 * DAY)
    nudges = planner(sessions, library, clock)
    assert nudges.plan()["inactive"] == 1
    wrote(sessions, "a", T0 + 4 * DAY)  # a message counts as activity
    clock.now = T0 + 6 * DAY
    assert nudges.plan()["inactive"] == 0
    clock.now = T0 + 7 * DAY
    assert nudges.plan()["inactive"] == 1
    learned(sessions, "a", T0 + 8 * DAY)  # so does learning
    clock.now = T0 + 11 * DAY - timedelta(minutes=1)
    assert nudges.plan()["inactive"] == 0
    clock.now = T0 + 11 * DAY
    assert nudges.plan()["inactive"] == 1
    assert nudges.plan()["inactive"] == 0
    keys = [row.key for row in sends(sessions)]
    assert keys == [
        inactivity_key("a", "demo", T0),
        inactivity_key("a", "demo", T0 + 4 * DAY),
        inactivity_key("a", "demo", T0 + 8 * DAY),
    ]


def test_the_payload_names_the_course_and_next_lesson_in_the_learners_language(
    sessions: sessionmaker[Session], library: Library
) -> None:
    add_learner(sessions, "hi", language="hi", name="Meera")
    enroll(sessions, "hi", lesson="l1", active=T0 - 2 * DAY)
    add_learner(sessions, "en")
    enroll(sessions, "en", lesson="l2")
    add_learner(sessions, "new", language="ta")  # no Tamil version: the course's first language
    enroll(sessions, "new")
    with sessions.begin() as session:
        for lesson in ("l1", "l3"):
            session.add(
                LessonCompletionRow(
                    learner_id="hi", course_id="demo", lesson_id=lesson, language="hi"
                )
            )
    nudges = planner(sessions, library, Clock(T0 + 3 * DAY + timedelta(hours=5)))
    assert nudges.plan()["inactive"] == 3
    found = {row.learner_id: payload(row) for row in sends(sessions)}
    assert found["hi"] == {
        "response": "nudge_inactive",
        "args": {
            "name": "Meera", "days": 5, "course": "डेमो कोर्स", "lesson": "पाठ 2",
            "course_id": "demo",
        },
        "course_id": "demo",
        "language": "hi",
    }  # fmt: skip
    assert found["en"]["args"] | {"name": None} == {
        "name": None, "days": 3, "course": "Demo course", "lesson": "Lesson 2", "course_id": "demo"
    }  # fmt: skip
    assert found["new"]["args"]["lesson"] == "Lesson 1"
    assert found["new"]["args"]["course"] == "Demo course"
    assert found["new"]["language"] == "ta"


def test_opted_out_completed_and_unknown_courses_get_nothing(
    sessions: sessionmaker[Session], library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    due = (T0 + 10 * DAY).date()  # the due day itself when the planner runs
    add_learner(sessions, "out", enabled=False)
    enroll(sessions, "out", due=due)
    add_learner(sessions, "done")
    enroll(sessions, "done", completed=T0, due=due)
    add_learner(sessions, "gone")
    enroll(sessions, "gone", "retired-course", due=due)
    caplog.set_level(logging.INFO, logger="learning.nudges")
    nudges = planner(sessions, library, Clock(T0 + 10 * DAY))
    assert nudges.plan() == {"inactive": 0, "deadline": 0}
    nudges.plan()
    assert sends(sessions) == []
    logged = [r.getMessage() for r in caplog.records if "retired-course" in r.getMessage()]
    assert len(logged) == 1  # once per planner, not once per run


def test_inactivity_nudges_can_be_turned_off(
    sessions: sessionmaker[Session], library: Library
) -> None:
    add_learner(sessions, "a")
    enroll(sessions, "a")
    rules = NudgeRules(inactive_days=0)
    assert planner(sessions, library, Clock(T0 + 30 * DAY), rules).plan()["inactive"] == 0


def test_channels_telegram_first_then_whatsapp_else_a_skipped_row(
    sessions: sessionmaker[Session], library: Library
) -> None:
    add_learner(sessions, "both", channels=("whatsapp", "telegram"))
    add_learner(sessions, "wa", channels=("whatsapp",))
    add_learner(sessions, "web", channels=("web",))
    add_learner(sessions, "none", channels=())
    for lid in ("both", "wa", "web", "none"):
        enroll(sessions, lid)
    nudges = planner(sessions, library, Clock(T0 + 3 * DAY))
    assert nudges.plan()["inactive"] == 4
    assert nudges.plan()["inactive"] == 0
    found = {row.learner_id: (row.channel, row.status, row.reason) for row in sends(sessions)}
    assert found == {
        "both": ("telegram", "queued", None),
        "wa": ("whatsapp", "queued", None),
        "web": (None, "skipped", "no_channel"),
        "none": (None, "skipped", "no_channel"),
    }


def test_candidates_are_read_in_chunks(sessions: sessionmaker[Session], library: Library) -> None:
    for n in range(7):
        add_learner(sessions, f"l{n}")
        enroll(sessions, f"l{n}", due=(T0 + 7 * DAY).date())
    nudges = planner(sessions, library, Clock(T0 + 3 * DAY), chunk_size=2)
    assert nudges.plan() == {"inactive": 7, "deadline": 0}
    clock = Clock(T0)
    assert planner(sessions, library, clock, chunk_size=3).plan() == {
        "inactive": 0, "deadline": 7
    }  # fmt: skip


# --- deadlines ---------------------------------------------------------------------------------

DUE = date(2026, 12, 11)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 3, 18, 29, tzinfo=UTC), None),  # 23:59 on the 3rd in India
        (datetime(2026, 12, 3, 20, 0, tzinfo=UTC), ("d-7", "nudge_deadline", 7)),  # 4th, 01:30
        (datetime(2026, 12, 4, 18, 29, tzinfo=UTC), ("d-7", "nudge_deadline", 7)),
        (datetime(2026, 12, 4, 18, 30, tzinfo=UTC), None),  # the 5th
        (datetime(2026, 12, 9, 18, 30, tzinfo=UTC), ("d-1", "nudge_deadline", 1)),
        (datetime(2026, 12, 10, 18, 30, tzinfo=UTC), ("d0", "nudge_deadline_today", None)),
        (datetime(2026, 12, 11, 12, 0, tzinfo=UTC), ("d0", "nudge_deadline_today", None)),
        (datetime(2026, 12, 11, 18, 30, tzinfo=UTC), None),  # past due
    ],
)
def test_deadline_reminders_come_on_the_learners_local_day(
    sessions: sessionmaker[Session],
    library: Library,
    now: datetime,
    expected: tuple[str, str, int | None] | None,
) -> None:
    add_learner(sessions, "in", timezone="Asia/Kolkata", name="Asha")
    add_learner(sessions, "unknown-zone", timezone="Mars/Olympus")  # the default zone: India
    for lid in ("in", "unknown-zone"):
        enroll(sessions, lid, active=now, due=DUE)
    nudges = planner(sessions, library, Clock(now))
    assert nudges.plan() == {"inactive": 0, "deadline": 2 if expected else 0}
    assert nudges.plan() == {"inactive": 0, "deadline": 0}
    if expected is None:
        assert sends(sessions) == []
        return
    label, response, days_left = expected
    row = next(r for r in sends(sessions) if r.learner_id == "in")
    assert row.key == deadline_key("in", "demo", DUE, label)
    assert (row.kind, row.channel) == ("deadline", "telegram")
    args: dict[str, Any] = {
        "name": "Asha", "course": "Demo course", "due_date": "December 11, 2026",
        "course_id": "demo",
    }  # fmt: skip
    if days_left is not None:
        args["days_left"] = days_left
    assert payload(row) == {
        "response": response, "args": args, "course_id": "demo", "language": "en"
    }  # fmt: skip


def test_a_learner_in_another_zone_has_their_own_calendar_day(
    sessions: sessionmaker[Session], library: Library
) -> None:
    add_learner(sessions, "in")
    add_learner(sessions, "uk", timezone="Europe/London")
    for lid in ("in", "uk"):
        enroll(sessions, lid, active=T0 + 10 * DAY, due=DUE)
    clock = Clock(datetime(2026, 12, 3, 20, 0, tzinfo=UTC))  # the 4th in India, the 3rd in London
    nudges = planner(sessions, library, clock)
    assert nudges.plan()["deadline"] == 1
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    assert nudges.plan()["deadline"] == 1
    assert [(r.learner_id, r.key.rsplit(":", 1)[1]) for r in sends(sessions)] == [
        ("in", "d-7"), ("uk", "d-7")
    ]  # fmt: skip


def test_deadline_offsets_follow_the_rules(
    sessions: sessionmaker[Session], library: Library
) -> None:
    add_learner(sessions, "a")
    enroll(sessions, "a", active=T0 + 20 * DAY, due=DUE)
    rules = NudgeRules(deadline_days=(3,))
    clock = Clock(datetime(2026, 12, 3, 20, 0, tzinfo=UTC))  # d-7: not in these rules
    nudges = planner(sessions, library, clock, rules)
    assert nudges.plan()["deadline"] == 0
    clock.now = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
    assert nudges.plan()["deadline"] == 1
    assert payload(sends(sessions)[0])["args"]["days_left"] == 3


def test_a_hindi_learners_due_date_is_written_in_hindi(
    sessions: sessionmaker[Session], library: Library
) -> None:
    add_learner(sessions, "hi", language="hi", name="Meera")
    enroll(sessions, "hi", active=T0 + 20 * DAY, due=DUE)
    planner(sessions, library, Clock(datetime(2026, 12, 10, 6, 0, tzinfo=UTC))).plan()
    [row] = sends(sessions)
    assert payload(row) == {
        "response": "nudge_deadline",
        "args": {"name": "Meera", "course": "डेमो कोर्स", "due_date": "11 दिसंबर 2026",
                 "days_left": 1, "course_id": "demo"},
        "course_id": "demo",
        "language": "hi",
    }  # fmt: skip


def test_format_due_uses_the_base_language_and_falls_back_to_english() -> None:
    assert format_due(DUE, "hi") == "11 दिसंबर 2026"
    assert format_due(DUE, "hi-Latn") == "11 दिसंबर 2026"
    assert format_due(DUE, "ta") == "11 டிசம்பர், 2026"
    assert format_due(DUE, "xx") == "December 11, 2026"
    assert format_due(DUE, "") == "December 11, 2026"


def test_a_course_missing_a_language_names_it_in_its_first_language(
    sessions: sessionmaker[Session], library: Library
) -> None:
    demo = library.get("demo")
    assert demo is not None
    english_only = replace(demo, id="plain", languages=("en",), title={"en": "Plain course"})
    both = Library({"demo": demo, "plain": english_only})
    add_learner(sessions, "hi", language="hi")
    enroll(sessions, "hi", "plain", active=T0 + 20 * DAY, due=DUE)
    planner(sessions, both, Clock(datetime(2026, 12, 10, 6, 0, tzinfo=UTC))).plan()
    args = payload(sends(sessions)[0])["args"]
    assert args["course"] == "Plain course"
    assert args["due_date"] == "11 दिसंबर 2026"  # the date still follows the learner


def test_a_nudged_silence_is_not_read_again(
    sessions: sessionmaker[Session], library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning every few minutes reads only new candidates, not every idle enrollment."""
    add_learner(sessions, "a")
    enroll(sessions, "a")
    clock = Clock(T0 + 3 * DAY)
    nudges = planner(sessions, library, clock)
    chunks = nudges._chunks
    read: list[int] = []

    def counting(query: Any) -> Any:
        for rows in chunks(query):
            read.append(len(rows))
            yield rows

    monkeypatch.setattr(nudges, "_chunks", counting)
    assert nudges.plan()["inactive"] == 1
    assert read == [1]
    clock.now += DAY
    assert nudges.plan()["inactive"] == 0
    assert read == [1]
    wrote(sessions, "a", T0 + 4 * DAY)
    clock.now = T0 + 7 * DAY
    assert nudges.plan()["inactive"] == 1
    assert read == [1, 1]
