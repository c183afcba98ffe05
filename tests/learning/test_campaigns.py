"""Campaigns on SQLite and PostgreSQL: who may target whom, cohort filters, planning one send per
recipient, pause/resume/cancel, weekly runs, and the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_message import Message, MessageError
from learning.campaign_models import AuditRow, OrganisationRow, SendRow
from learning.campaigns import (
    Actor,
    CampaignNotFound,
    Campaigns,
    CampaignStateError,
    NotAllowed,
    actor_for,
)
from learning.cohort import Cohort, CohortError
from learning.models import EnrollmentRow, LessonCompletionRow
from learning.organisations import OrganisationCycle, ensure
from learning.sends import SendQueue
from tests.learning.store import T0, Clock, add_learner, migrated


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    return migrated(db_url)


@pytest.fixture
def org_tree(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        ensure(session, "State", None)
        ensure(session, "District A", "State")
        ensure(session, "Block A1", "District A")
        ensure(session, "District B", "State")


def service(sessions: sessionmaker[Session], clock: Clock) -> tuple[Campaigns, SendQueue]:
    queue = SendQueue(sessions, clock, worker="w1")
    return Campaigns(sessions, queue, clock), queue


def sends(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str | None, str | None]]:
    with sessions() as session:
        rows = session.scalars(select(SendRow))
        return {r.learner_id: (r.status, r.reason, r.channel) for r in rows}


REMIND = Message("reminder", course="rti")


def test_organisation_paths_form_a_tree_and_refuse_cycles(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    with sessions.begin() as session:
        paths = {r.name: r.path for r in session.scalars(select(OrganisationRow))}
        assert paths["Block A1"].startswith(paths["District A"])
        assert paths["District A"].startswith(paths["State"])
        assert not paths["District B"].startswith(paths["District A"])
        with pytest.raises(OrganisationCycle):
            ensure(session, "State", "Block A1")
        ensure(session, "Block A1", "District B")  # moved: the subtree follows
        moved = session.scalars(select(OrganisationRow).filter_by(name="Block A1")).one()
        assert moved.path.startswith(paths["District B"])


def test_a_supervisor_reaches_only_their_subtree(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    add_learner(sessions, "sup", org="District A", access="supervisor")
    add_learner(sessions, "a", org="District A")
    add_learner(sessions, "a1", org="Block A1")
    add_learner(sessions, "b", org="District B")
    campaigns, _ = service(sessions, Clock())
    supervisor = actor_for(sessions, "sup", "learner:sup")
    campaign = campaigns.create(supervisor, "Finish RTI", Cohort(course="rti"), REMIND)
    _, counts = campaigns.preview(supervisor, campaign.id)
    assert sum(counts.values()) == 3  # the supervisor, a and a1; never b
    with pytest.raises(NotAllowed):
        campaigns.create(supervisor, "B too", Cohort(organisation="District B"), REMIND)


def test_a_plain_learner_is_refused_and_the_refusal_is_audited(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    add_learner(sessions, "x")
    add_learner(sessions, "sup", access="supervisor")
    campaigns, _ = service(sessions, Clock())
    with pytest.raises(NotAllowed):
        campaigns.create(actor_for(sessions, "x", "learner:x"), "Mine", Cohort(), REMIND)
    owned = campaigns.create(actor_for(sessions, "sup", "learner:sup"), "Sup's", Cohort(), REMIND)
    with pytest.raises(NotAllowed):
        campaigns.send(actor_for(sessions, "x", "learner:x"), owned.id)
    with sessions() as session:
        refusals = [
            (r.actor, r.action) for r in session.scalars(select(AuditRow).filter_by(allowed=False))
        ]
    assert refusals == [("learner:x", "create"), ("learner:x", "send")]


def test_cohort_filters_status_role_language_and_inactivity(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    add_learner(sessions, "new", role="Tehsildar", language="hi")
    add_learner(sessions, "busy", role="tehsildar", language="hi-Latn")
    add_learner(sessions, "done", role="Clerk", language="ta")
    add_learner(sessions, "quiet", role="Clerk")
    recent, old = T0 - timedelta(days=1), T0 - timedelta(days=20)
    with sessions.begin() as session:
        session.add(
            EnrollmentRow(learner_id="busy", course_id="rti", enrolled_at=old, updated_at=recent)
        )
        session.add(
            LessonCompletionRow(learner_id="busy", course_id="rti", lesson_id="l1", language="hi")
        )
        session.add(
            EnrollmentRow(
                learner_id="done",
                course_id="rti",
                enrolled_at=old,
                updated_at=old,
                completed_at=old,
            )
        )
        session.add(
            EnrollmentRow(learner_id="quiet", course_id="rti", enrolled_at=old, updated_at=old)
        )
    campaigns, _ = service(sessions, Clock())
    admin = Actor.operator()

    def who(cohort: Cohort) -> set[str]:
        campaign = campaigns.create(admin, "probe", cohort, REMIND)
        with sessions() as session:
            return {r.learner_id for r in session.execute(campaigns.recipients(campaign))}

    assert who(Cohort(course="rti", status="not_started")) == {"new", "quiet"}
    assert who(Cohort(course="rti", status="in_progress")) == {"busy"}
    assert who(Cohort(course="rti", status="not_completed")) == {"new", "busy", "quiet"}
    assert who(Cohort(course="rti", status="completed")) == {"done"}
    assert who(Cohort(role="TEHSILDAR")) == {"new", "busy"}
    assert who(Cohort(language="hi")) == {"new", "busy"}
    assert who(Cohort(course="rti", inactive_days=7)) == {"new", "done", "quiet"}
    with pytest.raises(CohortError):
        Cohort(status="in_progress")


def test_due_before_filter_and_due_dates_set_by_a_campaign(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    add_learner(sessions, "late")
    add_learner(sessions, "ontime")
    with sessions.begin() as session:
        session.add(EnrollmentRow(learner_id="late", course_id="rti", due_on=date(2026, 12, 10)))
        session.add(EnrollmentRow(learner_id="ontime", course_id="rti", due_on=date(2027, 3, 1)))
    clock = Clock()
    campaigns, _ = service(sessions, clock)
    admin = Actor.operator()
    probe = campaigns.create(admin, "p", Cohort(course="rti", due_before=date(2027, 1, 1)), REMIND)
    with sessions() as session:
        assert {r.learner_id for r in session.execute(campaigns.recipients(probe))} == {"late"}
    deadline = Message("deadline", course="rti", due_date=date(2027, 1, 15))
    campaign = campaigns.create(admin, "Due", Cohort(course="rti"), deadline)
    campaigns.send(admin, campaign.id)
    campaigns.start_due()
    with sessions() as session:
        dues = {r.learner_id: r.due_on for r in session.scalars(select(EnrollmentRow))}
    assert dues == {"late": date(2027, 1, 15), "ontime": date(2027, 1, 15)}


def test_planning_queues_one_send_per_recipient_with_exclusions(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    add_learner(sessions, "tg")
    add_learner(sessions, "wa", channel="whatsapp")
    add_learner(sessions, "web", channel="web")
    add_learner(sessions, "off", enabled=False)
    clock = Clock()
    campaigns, queue = service(sessions, clock)
    admin = Actor.operator()
    campaign = campaigns.create(admin, "All", Cohort(), REMIND)
    assert campaigns.start_due() == []  # a draft never runs
    campaigns.send(admin, campaign.id)
    assert campaigns.start_due() == [(campaign.id, 4)]
    assert campaigns.start_due() == []  # planned once
    assert sends(sessions) == {
        "tg": ("queued", None, "telegram"),
        "wa": ("queued", None, "whatsapp"),
        "web": ("skipped", "no_channel", None),
        "off": ("skipped", "opt_out", "telegram"),
    }
    assert campaigns.get(admin, campaign.id).status == "sending"
    claimed = queue.claim(10, ["telegram", "whatsapp"])
    assert sorted(s.learner.id for s in claimed) == ["tg", "wa"]
    assert {s.learner.channel_user_id for s in claimed} == {"u-tg", "u-wa"}


def test_pause_holds_sends_resume_releases_cancel_ends(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    for lid in ("a", "b", "c"):
        add_learner(sessions, lid)
    campaigns, queue = service(sessions, Clock())
    admin = Actor.operator()
    campaign = campaigns.create(admin, "All", Cohort(), REMIND)
    campaigns.send(admin, campaign.id)
    campaigns.start_due()
    campaigns.pause(admin, campaign.id)
    assert queue.claim(10, ["telegram"]) == []
    campaigns.resume(admin, campaign.id)
    assert len(queue.claim(1, ["telegram"])) == 1
    campaigns.cancel(admin, campaign.id)
    statuses = sorted(status for status, _, _ in sends(sessions).values())
    assert statuses == ["cancelled", "cancelled", "claimed"]
    assert queue.claim(10, ["telegram"]) == []
    with pytest.raises(CampaignStateError):
        campaigns.resume(admin, campaign.id)
    with pytest.raises(CampaignNotFound):
        campaigns.pause(admin, "no-such-campaign")


def test_a_weekly_campaign_runs_again_next_week_for_the_same_learners(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    add_learner(sessions, "a")
    clock = Clock()
    campaigns, queue = service(sessions, clock)
    admin = Actor.operator()
    campaign = campaigns.create(admin, "Weekly", Cohort(), REMIND, schedule="weekly thu 10:00")
    scheduled = campaigns.send(admin, campaign.id)
    assert scheduled.next_run_at == datetime(2026, 12, 10, 4, 30, tzinfo=UTC)  # 10:00 IST
    assert campaigns.start_due() == []
    clock.now = datetime(2026, 12, 10, 4, 31, tzinfo=UTC)
    assert campaigns.start_due() == [(campaign.id, 1)]
    (send,) = queue.claim(5, ["telegram"])
    from learning.sends import Result

    queue.mark_sending([send.id])
    queue.finish([Result(send.id, "sent", message_ids=["7"])])
    campaigns.settle()
    after = campaigns.get(admin, campaign.id)
    assert (after.status, after.runs) == ("scheduled", 1)
    assert after.next_run_at == datetime(2026, 12, 17, 4, 30, tzinfo=UTC)
    clock.now = datetime(2026, 12, 17, 5, 0, tzinfo=UTC)
    assert campaigns.start_due() == [(campaign.id, 1)]  # a new run: a new send row


def test_custom_messages_fall_back_by_language_and_fill_placeholders() -> None:
    message = Message("custom", texts={"en": "Hello {name}", "hi": "नमस्ते {name}"}, course="rti")
    reply = message.reply(name="Asha", language="hi-Latn", course_title="RTI", sender="S", due="")
    assert (reply.response, reply.args["text"]) == ("campaign_custom", "नमस्ते Asha")
    assert (
        message.reply(name="Ravi", language="ta", course_title="RTI", sender="S", due="").args[
            "text"
        ]
        == "Hello Ravi"
    )
    plain = Message("custom", texts={"en": "Team meeting at 4"})
    assert plain.reply(name="", language="en", course_title=None, sender="S", due="").response == (
        "campaign_custom_plain"
    )
    with pytest.raises(MessageError):
        Message("deadline", course="rti")
    assert Message.from_json(message.to_json()) == message


def test_the_report_counts_conversions_within_the_window_and_late_failures(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    from learning.campaign_report import campaign_report
    from learning.deliveries import Deliveries
    from learning.sends import Result

    for lid in ("a", "b", "c"):
        add_learner(sessions, lid)
    clock = Clock()
    campaigns, queue = service(sessions, clock)
    admin = Actor.operator()
    campaign = campaigns.create(admin, "All", Cohort(), REMIND)
    campaigns.send(admin, campaign.id)
    campaigns.start_due()
    claimed = {s.learner.id: s.id for s in queue.claim(10, ["telegram"])}
    queue.mark_sending(list(claimed.values()))
    queue.finish([Result(i, "sent", message_ids=[f"m-{lid}"]) for lid, i in claimed.items()])
    log = Deliveries(sessions, clock)
    for lid in claimed:
        log.record_sent("telegram", f"m-{lid}", lid, "campaign", campaign.id)
    log.record_status("telegram", "m-c", "failed", T0 + timedelta(minutes=1), error="gone")
    with sessions.begin() as session:
        for lid, days in (("a", 2), ("b", 9)):
            done = T0 + timedelta(days=days)
            session.add(LessonCompletionRow(learner_id=lid, course_id="rti", lesson_id="l1",
                                            language="en", completed_at=done))  # fmt: skip
    report = campaign_report(sessions, campaign.id, days=7, course="rti")
    assert (report.targeted, report.sent, report.undelivered) == (3, 3, 1)
    assert report.lesson_after == 1  # b finished a lesson, but after the 7-day window


def test_the_workers_idle_polls_run_outside_a_transaction_on_postgresql(
    sessions: sessionmaker[Session], org_tree: None
) -> None:
    """A worker polls every second whether a campaign has fallen due, which campaigns are
    sending and whether a send is due. On PostgreSQL each is one statement on a connection in
    autocommit: no BEGIN and ROLLBACK around it, and no transaction left open; the polls still
    find what is due (a scheduled campaign, a sending one, a due send, for its channel only)."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's BEGIN and ROLLBACK never leave the process")
    add_learner(sessions, "a")
    clock = Clock()
    campaigns, queue = service(sessions, clock)
    admin = Actor.operator()
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append((" ".join(statement.split())[:40], conn.connection.dbapi_connection.autocommit))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert campaigns.start_due() == [] and queue.claim(5, ["telegram"]) == []
        campaigns.settle()
        polls = list(seen)
        campaign = campaigns.send(admin, campaigns.create(admin, "All", Cohort(), REMIND).id)
        assert campaigns.start_due() == [(campaign.id, 1)]
        assert queue.claim(5, ["whatsapp"]) == []  # due, but for another channel
        assert [s.learner.id for s in queue.claim(5, ["telegram"])] == ["a"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(polls) == 3 and all(autocommit for _, autocommit in polls), polls
    with engine.connect() as conn:  # the engine's own connections still begin transactions
        conn.execute(select(1))
        status = conn.connection.dbapi_connection.info.transaction_status
        assert status == psycopg.pq.TransactionStatus.INTRANS
