"""The funnel, at-risk and knowledge-gaps figures on SQLite and PostgreSQL: worked out by hand
(tests/learning/insight_data.py), each actor sees only their own subtree, and every at-risk
campaign cohort selects, through learning.cohort, exactly the learners the page lists."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from learning.campaigns import actor_for
from learning.cohort import cohort_query
from learning.dashboard_insight import Funnel, course_funnels
from learning.dashboard_insight_gaps import GapQuestionRow, GapQuestions, gaps
from learning.dashboard_insight_risk import AtRisk, Thresholds, at_risk, cohort_params
from learning.dashboard_queries import Filters, OutOfScope
from tests.learning.dashboard_data import DAY, TODAY
from tests.learning.insight_data import LESSONS, seed_gaps, seed_insight
from tests.learning.store import T0, Clock, migrated

INDIA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    sessions = migrated(db_url)
    seed_insight(sessions)
    seed_gaps(sessions)
    return sessions


def funnels(sessions: sessionmaker[Session], who: str, **filters: str) -> list[tuple[object, ...]]:
    actor = actor_for(sessions, who, f"dashboard:{who}")
    with sessions() as session:
        found = course_funnels(session, actor, Filters(**filters), LESSONS, T0)
    return [(f.course, f.enrolled, f.started, f.half_done, f.completed) for f in found]


@pytest.mark.parametrize(
    ("who", "filters", "expected"),
    [
        # course, enrolled, started, half done, completed
        ("sup_a", {}, [("rti", 4, 4, 2, 1), ("ethics", 2, 1, 1, 0)]),
        ("sup_b", {}, [("rti", 2, 2, 1, 1), ("b-course", 1, 1, 1, 0)]),
        ("root", {}, [("rti", 6, 6, 3, 2), ("ethics", 2, 1, 1, 0), ("b-course", 1, 1, 1, 0)]),
        ("sup_a", {"course": "rti"}, [("rti", 4, 4, 2, 1)]),
        ("sup_a", {"role": "clerk"}, [("ethics", 2, 1, 1, 0), ("rti", 2, 2, 1, 1)]),
        ("sup_a", {"language": "hi"}, [("rti", 2, 2, 1, 0)]),
        ("sup_a", {"organisation": "Block A1"}, [("rti", 2, 2, 1, 0)]),
        ("sup_a", {"course": "b-course"}, []),  # District B's course: nothing leaks
        ("root", {"organisation": "District B"}, [("rti", 2, 2, 1, 1), ("b-course", 1, 1, 1, 0)]),
    ],
)
def test_the_funnel_counts_each_stage_of_each_course_in_reach(
    sessions: sessionmaker[Session], who: str, filters: dict[str, str], expected: list[object]
) -> None:
    assert funnels(sessions, who, **filters) == expected


def test_half_done_is_unknown_for_a_course_the_library_does_not_hold(
    sessions: sessionmaker[Session],
) -> None:
    actor = actor_for(sessions, "sup_b", "dashboard:sup_b")
    with sessions() as session:
        found = course_funnels(session, actor, Filters(), {"rti": 4}, T0)
    assert found[1] == Funnel("b-course", 1, 1, None, 0)
    assert (found[0].percent(found[0].half_done), found[1].percent(None)) == (50, None)


def risk(
    sessions: sessionmaker[Session], who: str, thresholds: Thresholds | None = None, **filters: str
) -> AtRisk:
    actor = actor_for(sessions, who, f"dashboard:{who}")
    with sessions() as session:
        return at_risk(session, actor, Filters(**filters), thresholds or Thresholds(), T0, INDIA)


def test_the_at_risk_rows_of_a_supervisor_overdue_and_due_first_then_the_longest_inactive(
    sessions: sessionmaker[Session],
) -> None:
    found = risk(sessions, "sup_a")
    rows = [
        (r.learner_id, r.course, r.due_on, r.inactive, r.overdue, r.due_soon) for r in found.rows
    ]
    assert rows == [
        ("idle", "ethics", TODAY - 3 * DAY, False, True, False),
        ("a1", "rti", TODAY + 10 * DAY, False, False, True),
        ("stall", "rti", None, True, False, False),
    ]
    assert (found.enrollments, found.learners) == (3, 3)
    stall = found.rows[2]
    assert (stall.name, stall.organisation, stall.role) == ("Learner stall", "District A", "Clerk")
    assert stall.last_active == T0 - 30 * DAY
    assert found.due_before == date(2026, 12, 18)  # due within 14 days: before the 15th day
    assert [(c.cohort.course, c.learners) for c in found.inactive] == [("rti", 1)]
    assert found.due is not None and found.due.learners == 2


@pytest.mark.parametrize(
    ("who", "thresholds", "filters", "expected"),
    [
        ("sup_b", Thresholds(), {}, ["b", "b2"]),
        ("root", Thresholds(), {}, ["idle", "b", "a1", "stall", "b2"]),
        ("sup_a", Thresholds(inactive_days=40), {}, ["idle", "a1"]),  # stall: 30 days only
        # busy progressed 2 days ago; chatty wrote to the bot 1 day ago: still active
        ("sup_a", Thresholds(inactive_days=1), {}, ["idle", "a1", "stall", "busy"]),
        ("sup_a", Thresholds(due_days=5), {}, ["idle", "stall"]),  # a1's course is due in 10
        ("sup_a", Thresholds(due_days=0, inactive_days=3650), {}, ["idle"]),
        ("sup_a", Thresholds(), {"organisation": "Block A1"}, ["a1"]),
        ("sup_a", Thresholds(), {"course": "ethics"}, ["idle"]),
        ("sup_a", Thresholds(), {"role": "Clerk"}, ["idle", "stall"]),
        ("sup_a", Thresholds(), {"course": "b-course"}, []),
        ("sup_a", Thresholds(), {"role": "Inspector"}, []),  # District B's role: nothing leaks
    ],
)
def test_thresholds_and_filters_narrow_the_at_risk_learners(
    sessions: sessionmaker[Session],
    who: str,
    thresholds: Thresholds,
    filters: dict[str, str],
    expected: list[str],
) -> None:
    found = risk(sessions, who, thresholds, **filters)
    assert [r.learner_id for r in found.rows] == expected
    assert found.learners == len(set(expected))


CASES = [
    ("sup_a", Thresholds(), {}),
    ("sup_b", Thresholds(), {}),
    ("root", Thresholds(), {}),
    ("root", Thresholds(inactive_days=25, due_days=7), {}),
    ("root", Thresholds(), {"course": "rti"}),
    ("root", Thresholds(), {"role": "clerk", "language": "en"}),
    ("sup_a", Thresholds(inactive_days=1, due_days=30), {"organisation": "District A"}),
    ("sup_a", Thresholds(), {"organisation": "Block A1", "language": "hi"}),
]


@pytest.mark.parametrize(("who", "thresholds", "filters"), CASES)
def test_each_campaign_cohort_selects_exactly_the_learners_listed_for_it(
    sessions: sessionmaker[Session], who: str, thresholds: Thresholds, filters: dict[str, str]
) -> None:
    found = risk(sessions, who, thresholds, **filters)
    actor = actor_for(sessions, who, f"dashboard:{who}")
    inactive = {(r.course, r.learner_id) for r in found.rows if r.inactive}
    due = {r.learner_id for r in found.rows if r.overdue or r.due_soon}
    with sessions() as session:

        def selected(cohort: object) -> set[str]:
            query = cohort_query(cohort, actor.reach, T0)  # type: ignore[arg-type]
            return {row.learner_id for row in session.execute(query)}

        for stalled in found.inactive:
            listed = {lid for course, lid in inactive if course == stalled.cohort.course}
            assert selected(stalled.cohort) == listed and stalled.learners == len(listed)
        assert {c for c, _ in inactive} == {s.cohort.course for s in found.inactive}
        if found.due is None:
            assert not due
        else:
            assert selected(found.due.cohort) == due and found.due.learners == len(due)
    assert due or inactive or not found.rows


def test_cohort_links_carry_the_campaign_forms_parameters(sessions: sessionmaker[Session]) -> None:
    found = risk(sessions, "sup_a", Thresholds(inactive_days=21), role="Clerk", language="en")
    assert cohort_params(found.inactive[0].cohort) == {
        "course": "rti", "status": "in_progress", "inactive_days": "21", "role": "Clerk",
        "language": "en",
    }  # fmt: skip
    assert found.due is not None
    assert cohort_params(found.due.cohort) == {
        "due_before": "2026-12-18", "role": "Clerk", "language": "en",
    }  # fmt: skip


@pytest.mark.parametrize("organisation", ["District B", "State", "Nowhere"])
def test_an_organisation_out_of_reach_is_refused_on_every_page(
    sessions: sessionmaker[Session], organisation: str
) -> None:
    actor = actor_for(sessions, "sup_a", "dashboard:sup_a")
    filters = Filters(organisation=organisation)
    with sessions() as session:
        for figures in (
            lambda: course_funnels(session, actor, filters, LESSONS, T0),
            lambda: at_risk(session, actor, filters, Thresholds(), T0, INDIA),
            lambda: gaps(session, actor, filters, T0),
        ):
            with pytest.raises(OutOfScope):
                figures()


def gap_lines(
    sessions: sessionmaker[Session], who: str, **filters: str
) -> list[tuple[object, ...]]:
    actor = actor_for(sessions, who, f"dashboard:{who}")
    with sessions() as session:
        found = gaps(session, actor, Filters(**filters), T0)
    lines = [(g.question, g.language, g.count, (T0 - g.last_asked).days) for g in found.lines]
    return [(found.questions, found.asked), *lines]


PENSION = "what is the PENSION rule"
LEAVE = "छुट्टी के नियम क्या हैं?"


@pytest.mark.parametrize(
    ("who", "filters", "expected"),
    [
        # (questions, times asked), then question, language, times asked, days since last asked
        ("sup_a", {}, [(2, 4), (PENSION, "en", 3, 1), (LEAVE, "hi", 1, 3)]),
        ("sup_b", {}, [(2, 6), ("RTI fees in Tamil Nadu?", "ta", 5, 4), (PENSION, "en", 1, 0)]),
        ("root", {}, [(4, 11), ("RTI fees in Tamil Nadu?", "ta", 5, 4), (PENSION, "en", 4, 0),
                      (LEAVE, "hi", 1, 3), ("What is iGOT?", "en", 1, 6)]),
        ("sup_a", {"organisation": "Block A1"}, [(1, 1), (LEAVE, "hi", 1, 3)]),
        ("sup_a", {"language": "hi"}, [(1, 1), (LEAVE, "hi", 1, 3)]),
        ("sup_a", {"course": "rti"}, [(1, 3), (PENSION, "en", 3, 1)]),
        ("sup_a", {"language": "ta"}, [(0, 0)]),  # District B's language: nothing leaks
        ("root", {"organisation": "District B", "language": "en"}, [(1, 1), (PENSION, "en", 1, 0)]),
    ],
)  # fmt: skip
def test_gaps_are_grouped_counted_and_only_from_the_actors_subtree(
    sessions: sessionmaker[Session], who: str, filters: dict[str, str], expected: list[object]
) -> None:
    assert gap_lines(sessions, who, **filters) == expected


def test_a_question_asked_again_is_counted_and_the_table_stays_bounded(
    sessions: sessionmaker[Session],
) -> None:
    clock = Clock(T0 + timedelta(days=1))
    recorder = GapQuestions(sessions, clock, max_rows=5, prune_every=1)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(GapQuestionRow)) == 5
    recorder.record("What is the pension rule??", PENSION.lower(), "en", "rti", "District A")
    recorder.record("  ", "", "en", None, "District A")  # nothing to count
    assert gap_lines(sessions, "sup_a")[:2] == [(2, 5), ("What is the pension rule??", "en", 4, -1)]
    recorder.record("Where is my certificate?", "where is my certificate", "en", None, None)
    with sessions() as session:
        kept = session.scalars(select(GapQuestionRow.question).order_by(GapQuestionRow.id))
        assert "What is iGOT?" not in list(kept)  # the least recently asked went
        assert session.scalar(select(func.count()).select_from(GapQuestionRow)) == 5


def test_the_table_size_is_checked_on_the_first_new_row_and_every_nth_after(
    sessions: sessionmaker[Session],
) -> None:
    clock = Clock(T0 + timedelta(days=1))
    recorder = GapQuestions(sessions, clock, max_rows=5, prune_every=3)

    def rows() -> int:
        with sessions() as session:
            return int(session.scalar(select(func.count()).select_from(GapQuestionRow)) or 0)

    found = []
    for n in range(7):
        recorder.record(f"Question {n}?", f"question {n}", "en", None, None)
        recorder.record(f"Question {n}?", f"question {n}", "en", None, None)  # counted, not new
        found.append(rows())
    # pruned back to 5 on new rows 1, 4 and 7; in between the table grows by one a row
    assert found == [5, 6, 7, 5, 6, 7, 5]
