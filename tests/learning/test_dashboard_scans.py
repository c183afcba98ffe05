"""The dashboard's cheaper reads give the same answers as the plain queries they replace, on
SQLite and PostgreSQL: distinct values by loose index scan, organisation subtrees bound as
lists of names, and the weekly chart summed per latest week."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from learning import organisations
from learning.activity import chart_counts, chart_sums
from learning.activity_models import LearnerStatsRow
from learning.loose_scan import distinct_values
from learning.models import EnrollmentRow, LearnerRow
from learning.organisations import import_tree, in_subtree
from tests.learning.store import T0, add_learner, migrated

TREE = [("State", None), ("District A", "State"), ("Block A1", "District A"),
        ("Block A2", "District A"), ("District B", "State"),
        ("Block B1", "District B")]  # fmt: skip


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    sessions = migrated(db_url)
    with sessions.begin() as session:
        import_tree(session, TREE)
    learners = [("s", "State", "Director", "en"), ("a", "District A", "Clerk", "hi"),
                ("a1", "Block A1", None, "hi-Latn"), ("a2", "Block A2", "clerk", "ta"),
                ("b", "District B", "Officer", "bn"), ("b1", "Block B1", "Clerk", "en"),
                ("n", None, None, "en")]  # fmt: skip
    for lid, org, role, language in learners:
        add_learner(sessions, lid, org=org, role=role, language=language)
    with sessions.begin() as session:
        for lid, course in [("a", "rti"), ("a1", "rti"), ("b", "ethics"), ("b1", "b-course"),
                            ("s", "rti"), ("n", "zz-last")]:  # fmt: skip
            session.add(EnrollmentRow(learner_id=lid, course_id=course, enrolled_at=T0))
    return sessions


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        (LearnerRow.role, 100),
        (LearnerRow.language, 100),
        (EnrollmentRow.course_id, 100),
        (LearnerRow.language, 2),
        (EnrollmentRow.course_id, 1),
    ],
)
def test_a_loose_scan_finds_what_select_distinct_finds(
    sessions: sessionmaker[Session], column: Any, limit: int
) -> None:
    with sessions() as session:
        plain = select(column).where(column.is_not(None)).distinct().order_by(column)
        expected = list(session.scalars(plain.limit(limit)))
        assert distinct_values(session, column, limit) == expected
    assert expected  # the fixture has values of each column


def test_a_loose_scan_of_an_empty_column_finds_nothing(db_url: str) -> None:
    sessions = migrated(db_url)
    with sessions() as session:
        assert distinct_values(session, EnrollmentRow.course_id, 10) == []


def members(sessions: sessionmaker[Session], root: str, bound: bool) -> set[str]:
    with sessions() as session:
        where = in_subtree(LearnerRow.organisation, root, session if bound else None)
        return set(session.scalars(select(LearnerRow.id).where(where)))


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("District A", {"a", "a1", "a2"}),
        ("Block B1", {"b1"}),
        ("State", {"s", "a", "a1", "a2", "b", "b1"}),
        ("Nowhere", set()),
    ],
)
def test_a_subtree_bound_as_names_holds_the_same_learners_as_its_subquery(
    sessions: sessionmaker[Session], root: str, expected: set[str]
) -> None:
    assert members(sessions, root, bound=True) == members(sessions, root, bound=False) == expected


def test_a_subtree_larger_than_the_bound_falls_back_to_the_subquery(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(organisations, "BOUND_NAMES", 2)
    with sessions() as session:
        wide = in_subtree(LearnerRow.organisation, "District A", session)  # 3 names
        narrow = in_subtree(LearnerRow.organisation, "District B", session)  # 2 names
    assert "SELECT" in str(wide.compile()) and "SELECT" not in str(narrow.compile())
    assert members(sessions, "District A", bound=True) == {"a", "a1", "a2"}


def test_chart_counts_line_up_groups_of_different_latest_weeks() -> None:
    lane = 1 << 32
    # Latest week 10: 3 learners active in it (bit 0), 2 the week before (bit 1), 1 in week 7.
    # Latest week 12 (after the chart): 4 learners with bit 2, week 10; bits 0 and 1 (weeks 12
    # and 11) fall after the chart. Latest week 3: before the chart, nothing of it shows.
    groups = [(10, [3 + 2 * lane, 1 * lane, 0]), (12, [5 + 5 * lane, 4, 0]),
              (3, [9 + 9 * lane, 9, 9])]  # fmt: skip
    assert chart_counts(groups, first=7, weeks=4) == [1, 0, 2, 3 + 4]


def test_chart_sums_split_each_pair_of_weeks_into_two_lanes(db_url: str) -> None:
    sessions = migrated(db_url)
    for lid in ("x", "y", "z"):
        add_learner(sessions, lid)
    with sessions.begin() as session:
        for lid, bits in (("x", 0b1011), ("y", 0b0110), ("z", 0b1111)):
            session.add(LearnerStatsRow(learner_id=lid, lessons_completed=0, courses_completed=0,
                                        points=0, active_week=100, weeks=bits))  # fmt: skip
    with sessions() as session:
        query = select(LearnerStatsRow.active_week, *chart_sums(LearnerStatsRow, 4))
        ((week, *sums),) = session.execute(query.group_by(LearnerStatsRow.active_week))
        count = session.scalar(select(func.count()).select_from(LearnerStatsRow))
    assert (week, count) == (100, 3)
    # weeks 97, 98, 99, 100: bits 3, 2, 1, 0 of x, y and z
    assert chart_counts([(int(week or 0), sums)], first=97, weeks=4) == [2, 2, 3, 2]
