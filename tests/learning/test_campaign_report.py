"""The campaign report's conversion window on SQLite and PostgreSQL: counted in SQL, exactly as a
plain recount in Python counts it (from the first message sent, both ends of the window in)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import CampaignRow, SendRow
from learning.campaign_report import campaign_report
from learning.models import EnrollmentRow, LessonCompletionRow, aware
from tests.learning.store import T0, add_learner, migrated

DAY = timedelta(days=1)
US = timedelta(microseconds=1)
#: learner → (campaign, run, status, sent_at) of their sends.
SENDS: dict[str, list[tuple[str, int, str, datetime | None]]] = {
    "at_send": [("c1", 0, "sent", T0)],
    "at_end": [("c1", 0, "sent", T0 + US * 123_456)],
    "just_after": [("c1", 0, "sent", T0)],
    "before": [("c1", 0, "sent", T0)],
    "several": [("c1", 0, "sent", T0 + 3 * DAY)],
    "failed": [("c1", 0, "failed", None)],
    "skipped": [("c1", 0, "skipped", None)],
    "other_campaign": [("c2", 0, "sent", T0)],
    "both": [("c1", 0, "sent", T0 + 10 * DAY), ("c2", 0, "sent", T0)],
    "two_runs": [("c1", 0, "sent", T0), ("c1", 1, "sent", T0 + 8 * DAY)],
    "later_run": [("c1", 0, "sent", T0), ("c1", 1, "sent", T0 + 8 * DAY)],
    "failed_first": [("c1", 0, "failed", None), ("c1", 1, "sent", T0 + 2 * DAY)],
}
#: learner → (course, completed_at) of their lessons; the courses they completed are the same.
DONE: dict[str, list[tuple[str, datetime]]] = {
    "at_send": [("rti", T0)],
    "at_end": [("rti", T0 + US * 123_456 + 7 * DAY)],
    "just_after": [("rti", T0 + 7 * DAY + US)],
    "before": [("rti", T0 - US)],
    "several": [("rti", T0), ("ethics", T0 + 4 * DAY), ("rti", T0 + 5 * DAY)],
    "failed": [("rti", T0 + DAY)],
    "skipped": [("rti", T0 + DAY)],
    "other_campaign": [("rti", T0 + DAY)],
    "both": [("rti", T0 + DAY)],
    "two_runs": [("rti", T0 + 9 * DAY)],
    "later_run": [("rti", T0 + 7 * DAY - US)],
    "failed_first": [("ethics", T0 + 9 * DAY - US)],
    "no_send": [("rti", T0 + DAY)],
}


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    made = migrated(db_url)
    for lid in sorted(set(SENDS) | set(DONE)):
        add_learner(made, lid)
    with made.begin() as session:
        for cid in ("c1", "c2"):
            session.add(CampaignRow(id=cid, name=cid, filters="{}", message="{}"))
        session.flush()
        for lid, sends in SENDS.items():
            for cid, run, status, sent_at in sends:
                session.add(SendRow(key=f"campaign:{cid}:{run}:{lid}", kind="campaign",
                                    campaign_id=cid, run=run, learner_id=lid, status=status,
                                    sent_at=sent_at))  # fmt: skip
        for lid, done in DONE.items():
            for n, (course, at) in enumerate(done):
                session.add(LessonCompletionRow(learner_id=lid, course_id=course,
                                                lesson_id=f"l{n}", language="en",
                                                completed_at=at))  # fmt: skip
            for course in sorted({c for c, _ in done}):
                last = max(at for c, at in done if c == course)
                session.add(EnrollmentRow(learner_id=lid, course_id=course, completed_at=last))
        session.add(EnrollmentRow(learner_id="at_send", course_id="ethics"))  # not completed
    return made


def recount(
    sessions: sessionmaker[Session], campaign: str, days: int, course: str | None
) -> tuple[int, int]:
    """The conversion counted in Python: each learner's first message, then every completion."""
    with sessions() as session:
        first: dict[str, datetime] = {}
        for lid, at in session.execute(
            select(SendRow.learner_id, SendRow.sent_at).where(
                SendRow.campaign_id == campaign, SendRow.status == "sent"
            )
        ):
            moment = aware(at)
            if moment is not None and (lid not in first or moment < first[lid]):
                first[lid] = moment

        def learners(rows: Iterable[tuple[str, str, datetime | None]]) -> int:
            found = set()
            for lid, done_in, at in rows:
                moment, start = aware(at), first.get(lid)
                if moment is None or start is None or (course and done_in != course):
                    continue
                if start <= moment <= start + timedelta(days=days):
                    found.add(lid)
            return len(found)

        lessons = select(LessonCompletionRow.learner_id, LessonCompletionRow.course_id,
                         LessonCompletionRow.completed_at)  # fmt: skip
        courses = select(EnrollmentRow.learner_id, EnrollmentRow.course_id,
                         EnrollmentRow.completed_at)  # fmt: skip
        return learners(session.execute(lessons)), learners(session.execute(courses))


def test_the_window_runs_from_the_first_message_to_exactly_days_later(
    sessions: sessionmaker[Session],
) -> None:
    report = campaign_report(sessions, "c1", days=7)
    # at_send, at_end (7 days to the microsecond), several, later_run (the window of the first
    # run), failed_first (the first message that was sent); not just_after, before, failed,
    # skipped, other_campaign, both (before c1 reached them), two_runs (after the first
    # run's window), no_send.
    assert (report.lesson_after, report.course_after) == (5, 5)
    assert (report.lesson_after, report.course_after) == recount(sessions, "c1", 7, None)
    in_rti = campaign_report(sessions, "c1", days=7, course="rti")
    assert (in_rti.lesson_after, in_rti.course_after) == (4, 4) == recount(sessions, "c1", 7, "rti")
    other = campaign_report(sessions, "c2", days=7)
    assert (other.lesson_after, other.course_after) == (2, 2) == recount(sessions, "c2", 7, None)


@pytest.mark.parametrize("days", [0, 1, 3, 7, 9, 30, -1])
@pytest.mark.parametrize("course", [None, "rti", "ethics"])
def test_the_sql_count_matches_a_recount(
    sessions: sessionmaker[Session], days: int, course: str | None
) -> None:
    for campaign in ("c1", "c2", "none"):
        report = campaign_report(sessions, campaign, days=days, course=course)
        assert (report.lesson_after, report.course_after) == recount(
            sessions, campaign, days, course
        )
