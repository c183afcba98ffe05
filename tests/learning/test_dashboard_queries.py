"""The dashboard's figures on SQLite and PostgreSQL: each actor sees exactly their own subtree
(an admin everything), filters narrow the counts, an organisation outside the reach is refused,
and the figures cost the same few queries however many learners there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from learning.campaigns import Actor, actor_for
from learning.dashboard_queries import (
    Filters,
    OutOfScope,
    Overview,
    choices,
    overview,
    viewer_name,
)
from learning.organisations import Reach
from tests.learning.dashboard_data import (
    DAY,
    EXPECTED,
    TODAY,
    enrol,
    lessons,
    rollups,
    seed_team,
)
from tests.learning.store import T0, add_learner, migrated

INDIA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    sessions = migrated(db_url)
    seed_team(sessions)
    return sessions


def figures(sessions: sessionmaker[Session], who: str, **filters: str) -> Overview:
    actor = actor_for(sessions, who, f"dashboard:{who}")
    with sessions() as session:
        return overview(session, actor, Filters(**filters), T0, INDIA)


def as_tuple(seen: Overview) -> tuple[object, ...]:
    return (seen.learners, seen.active_7, seen.active_30, seen.lessons_completed,
            seen.courses_completed, seen.karma_points, seen.due_soon, seen.overdue,
            [week.active for week in seen.weeks])  # fmt: skip


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_actor_sees_the_figures_of_their_own_reach(
    sessions: sessionmaker[Session], who: str
) -> None:
    assert as_tuple(figures(sessions, who)) == EXPECTED[who]


def test_weeks_are_calendar_weeks_in_india_and_end_with_the_current_one(
    sessions: sessionmaker[Session],
) -> None:
    seen = figures(sessions, "root")
    monday = TODAY - 3 * DAY  # T0 is a Thursday
    assert len(seen.weeks) == 12
    assert seen.weeks[-1].start == monday
    assert seen.weeks[0].start == monday - 77 * DAY
    assert all(week.start.weekday() == 0 for week in seen.weeks)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # learners, active 7, active 30, lessons, courses, points, due soon, overdue
        ({"organisation": "Block A1"}, (1, 0, 1, 0, 0, 20, 1, 0)),
        ({"organisation": "District A"}, (4, 1, 2, 2, 1, 90, 1, 1)),
        ({"role": "clerk"}, (2, 1, 1, 2, 1, 70, 0, 1)),
        ({"course": "rti"}, (2, 1, 2, 2, 1, 90, 1, 0)),
        ({"course": "ethics"}, (1, 0, 0, 0, 0, 0, 0, 1)),
        ({"language": "hi"}, (1, 0, 1, 0, 0, 20, 1, 0)),
        ({"role": "Clerk", "course": "rti"}, (1, 1, 1, 2, 1, 70, 0, 0)),
        ({"course": "b-course"}, (0, 0, 0, 0, 0, 0, 0, 0)),  # only District B takes it
    ],
)
def test_filters_narrow_a_supervisors_figures(
    sessions: sessionmaker[Session], filters: dict[str, str], expected: tuple[int, ...]
) -> None:
    assert as_tuple(figures(sessions, "sup_a", **filters))[:8] == expected


@pytest.mark.parametrize("organisation", ["District B", "State", "Nowhere", ""])
def test_an_organisation_outside_the_reach_is_refused_alike_whether_it_exists_or_not(
    sessions: sessionmaker[Session], organisation: str
) -> None:
    with pytest.raises(OutOfScope):
        figures(sessions, "sup_a", organisation=organisation)


def test_an_admin_may_pick_any_organisation_that_exists(sessions: sessionmaker[Session]) -> None:
    assert as_tuple(figures(sessions, "root", organisation="District B"))[:8] == (
        2, 1, 1, 5, 1, 999, 1, 0,
    )  # fmt: skip
    with pytest.raises(OutOfScope):
        figures(sessions, "root", organisation="Nowhere")


def test_someone_who_reaches_no_one_sees_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(OutOfScope):
        overview(session, Actor("x", Reach(), "a"), Filters(), T0, INDIA)
    with pytest.raises(OutOfScope):
        figures(sessions, "a")  # a plain learner


def test_filter_choices_come_only_from_the_reach(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        mine = choices(session, actor_for(sessions, "sup_a", "t"))
        everything = choices(session, actor_for(sessions, "root", "t"))
        assert viewer_name(session, "sup_a") == "Learner sup_a"
    assert mine.organisations == ["Block A1", "District A"]
    assert mine.roles == ["Clerk", "Director", "Officer"]
    assert mine.courses == ["ethics", "rti"]
    assert mine.languages == ["en", "hi"]
    assert everything.organisations == ["Block A1", "District A", "District B", "State"]
    assert "Inspector" in everything.roles and "b-course" in everything.courses


@contextmanager
def counted(sessions: sessionmaker[Session]) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = sessions.kw["bind"]

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_figures_are_a_fixed_number_of_aggregate_queries_at_any_team_size(
    sessions: sessionmaker[Session],
) -> None:
    actor = actor_for(sessions, "sup_a", "t")

    def measure() -> tuple[Overview, list[str]]:
        with counted(sessions) as statements, sessions() as session:
            seen = overview(session, actor, Filters(course="rti"), T0, INDIA)
        return seen, [s for s in statements if s.lstrip().upper().startswith("SELECT")]

    before, small = measure()
    for n in range(40):
        add_learner(sessions, f"new{n}", org="Block A1")
    with sessions.begin() as session:
        for n in range(40):
            enrol(session, f"new{n}", "rti", T0 - 2 * DAY)
            lessons(session, f"new{n}", "rti", [T0 - DAY])
    rollups(sessions)
    after, large = measure()
    assert (after.learners, after.active_7, after.lessons_completed) == (
        before.learners + 40, before.active_7 + 40, before.lessons_completed + 40,
    )  # fmt: skip
    # the subtree's names (bound into the rest), the totals with the chart, the due dates
    assert len(large) == len(small) == 3
    names, *figures = large
    assert "FROM organisations" in names and "learners" not in names
    assert all("count(" in s.lower() or "sum(" in s.lower() for s in figures), figures
