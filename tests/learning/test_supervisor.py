"""A supervisor's menu and quick campaigns on SQLite and PostgreSQL: only supervisors and admins
get them, over their own subtree; drafts are previewed, sent once or cancelled; someone else's
campaign is refused and audited; the list shows the supervisor's own latest campaigns."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.i18n import get_catalog
from learning.campaign_models import AuditRow, CampaignRow, SendRow
from learning.campaigns import Campaigns
from learning.content import Library
from learning.content_loader import load
from learning.models import ChannelLinkRow, EnrollmentRow
from learning.organisations import ensure
from learning.replies import Reply
from learning.repository import Learner, SqlLearnerRepository
from learning.sends import SendQueue
from learning.supervisor import Supervision, short_title
from tests.learning.store import T0, Clock, add_learner, migrated

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"
LONG = "Cyber hygiene for government staff"


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    sessions = migrated(db_url)
    with sessions.begin() as session:
        ensure(session, "State", None)
        ensure(session, "District A", "State")
        ensure(session, "Block A1", "District A")
        ensure(session, "District B", "State")
    return sessions


@pytest.fixture
def library() -> Library:
    """The fixture course (mandatory), three more mandatory ones and an optional one."""
    demo = load(CONTENT).courses["demo"]
    extra = [
        replace(demo, id="cyber", title={"en": LONG, "hi": "साइबर स्वच्छता"}),
        replace(demo, id="ethics", title={"en": "Ethics"}),
        replace(demo, id="done", title={"en": "All done"}),
        replace(demo, id="optional", title={"en": "Optional"}, mandatory=False),
    ]
    return Library({c.id: c for c in [demo, *extra]})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(sessions: sessionmaker[Session], library: Library, clock: Clock) -> Supervision:
    campaigns = Campaigns(sessions, SendQueue(sessions, clock), clock)
    return Supervision(sessions, campaigns, library, get_catalog(), clock)


def learner(sessions: sessionmaker[Session], lid: str) -> Learner:
    found = SqlLearnerRepository(sessions).get(lid)
    assert found is not None
    return found


def active(sessions: sessionmaker[Session], lid: str) -> None:
    """The learner wrote to the bot just now (so they are not inactive)."""
    with sessions.begin() as session:
        session.execute(update(ChannelLinkRow).filter_by(learner_id=lid).values(last_inbound_at=T0))


def enroll(sessions: sessionmaker[Session], lid: str, course: str, done: bool = False) -> None:
    with sessions.begin() as session:
        session.add(EnrollmentRow(learner_id=lid, course_id=course, updated_at=T0,
                                  completed_at=T0 if done else None))  # fmt: skip


def campaign_rows(sessions: sessionmaker[Session]) -> list[CampaignRow]:
    with sessions() as session:
        return list(session.scalars(select(CampaignRow)))


def audit(sessions: sessionmaker[Session]) -> list[tuple[str, str, str | None, bool]]:
    with sessions() as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id))
        return [(r.actor, r.action, r.campaign_id, r.allowed) for r in rows]


def team(sessions: sessionmaker[Session]) -> None:
    """A supervisor of District A with three learners below, one learner outside."""
    add_learner(sessions, "sup", org="District A", access="supervisor")
    active(sessions, "sup")
    add_learner(sessions, "a", org="District A", language="hi")
    add_learner(sessions, "a1", org="Block A1")
    add_learner(sessions, "off", org="Block A1", language="ta", enabled=False)
    add_learner(sessions, "b", org="District B")


def test_a_plain_learner_is_refused_and_nothing_is_created(
    sessions: sessionmaker[Session], desk: Supervision
) -> None:
    team(sessions)
    plain = learner(sessions, "a")
    refused = [Reply("utter_not_supervisor")]
    assert desk.menu(plain) == refused
    assert desk.quick(plain, "inactive", None) == refused
    assert desk.quick(plain, "course", "demo") == refused
    assert desk.quick(plain, "bogus", None) == refused
    assert desk.history(plain) == refused
    assert campaign_rows(sessions) == []
    assert audit(sessions) == [("chat:a", "create", None, False)] * 2  # both attempts recorded


def test_the_menu_counts_the_subtree_and_offers_unfinished_mandatory_courses(
    sessions: sessionmaker[Session], desk: Supervision
) -> None:
    team(sessions)
    for lid in ("sup", "a", "a1", "off"):
        enroll(sessions, lid, "done", done=True)
        enroll(sessions, lid, "ethics", done=lid != "a")  # one learner left
    enroll(sessions, "b", "done")  # outside the reach: does not count
    [menu] = desk.menu(learner(sessions, "sup"))
    assert menu.response == "utter_supervisor_menu"
    assert menu.args == {"team": 4}  # the supervisor, a, a1 and off; never b
    titles = [(b["title"], json.loads(b["payload"].removeprefix("/campaign_quick")))
              for b in menu.buttons]  # fmt: skip
    assert titles == [  # most learners pending first; "done" and the optional course left out
        ("Cyber hygiene for…", {"kind": "course", "course": "cyber"}),
        ("Demo course", {"kind": "course", "course": "demo"}),
        ("Ethics", {"kind": "course", "course": "ethics"}),
    ]
    [hindi] = desk.menu(replace(learner(sessions, "sup"), language="hi-Latn"))
    assert [b["title"] for b in hindi.buttons][:2] == ["साइबर स्वच्छता", "डेमो कोर्स"]


def test_an_admin_reaches_everyone_and_courses_are_capped_at_three(
    sessions: sessionmaker[Session], desk: Supervision
) -> None:
    team(sessions)
    add_learner(sessions, "root", org=None, access="admin")
    [menu] = desk.menu(learner(sessions, "root"))
    assert menu.args == {"team": 6}
    assert len(menu.buttons) == 3  # four mandatory courses are pending


def test_a_quick_campaign_is_a_draft_with_its_preview(
    sessions: sessionmaker[Session], desk: Supervision
) -> None:
    team(sessions)
    add_learner(sessions, "web", org="Block A1", channel="web")
    [preview] = desk.quick(learner(sessions, "sup"), "inactive", None)
    [row] = campaign_rows(sessions)
    assert preview == Reply(
        "utter_campaign_preview",
        {"recipients": 2, "excluded": 2, "languages": "English 1, हिन्दी 1", "campaign": row.id},
    )  # a (hi) and a1 (en) get it; off opted out, web has no channel; sup wrote today
    assert (row.name, row.status, json.loads(row.filters)) == (
        "Chat: inactive 7 days", "draft", {"inactive_days": 7}
    )  # fmt: skip
    message = json.loads(row.message)
    assert message["template"] == "custom" and message["sender"] == "Learner sup"
    assert set(message["texts"]) == set(get_catalog().languages())  # every catalog language
    assert "“continue learning”" in message["texts"]["en"]
    assert [a[1:] for a in audit(sessions)] == [("create", row.id, True), ("preview", row.id, True)]


def test_a_course_reminder_reaches_those_who_have_not_completed_it(
    sessions: sessionmaker[Session], desk: Supervision
) -> None:
    team(sessions)
    enroll(sessions, "a", "demo", done=True)
    [preview] = desk.quick(learner(sessions, "sup"), "course", "demo")
    [row] = campaign_rows(sessions)
    assert (preview.args["recipients"], preview.args["excluded"]) == (2, 1)  # sup, a1; off
    assert row.name == "Chat: Demo course"
    assert json.loads(row.filters) == {"course": "demo", "status": "not_completed"}
    assert json.loads(row.message)["template"] == "reminder"
    assert desk.quick(learner(sessions, "sup"), "course", "no-such-course") == [
        Reply("utter_campaign_stale")
    ]
    assert len(campaign_rows(sessions)) == 1


def test_confirm_sends_once_and_drop_cancels_once(
    sessions: sessionmaker[Session], desk: Supervision
) -> None:
    team(sessions)
    sup = learner(sessions, "sup")
    [first] = desk.quick(sup, "course", "demo")
    sent = first.args["campaign"]
    assert desk.confirm(sup, sent) == [Reply("utter_campaign_scheduled", {"recipients": 3})]
    assert desk.confirm(sup, sent) == [Reply("utter_campaign_stale")]
    [second] = desk.quick(sup, "inactive", None)
    dropped = second.args["campaign"]
    assert desk.drop(sup, dropped) == [Reply("utter_campaign_dropped")]
    assert desk.drop(sup, dropped) == [Reply("utter_campaign_stale")]
    assert desk.confirm(sup, dropped) == [Reply("utter_campaign_stale")]
    assert desk.confirm(sup, "no-such-id") == [Reply("utter_campaign_stale")]
    assert desk.drop(sup, None) == [Reply("utter_campaign_stale")]
    statuses = {r.id: r.status for r in campaign_rows(sessions)}
    assert statuses == {sent: "scheduled", dropped: "cancelled"}


def test_another_supervisors_campaign_is_refused_and_audited(
    sessions: sessionmaker[Session], desk: Supervision
) -> None:
    team(sessions)
    add_learner(sessions, "supb", org="District B", access="supervisor")
    [preview] = desk.quick(learner(sessions, "supb"), "course", "demo")
    theirs = preview.args["campaign"]
    sup = learner(sessions, "sup")
    assert desk.confirm(sup, theirs) == [Reply("utter_not_supervisor")]
    assert desk.drop(sup, theirs) == [Reply("utter_not_supervisor")]
    assert campaign_rows(sessions)[0].status == "draft"
    refusals = [a for a in audit(sessions) if not a[3]]
    assert refusals == [("chat:sup", "send", theirs, False), ("chat:sup", "cancel", theirs, False)]
    assert desk.history(sup) == [Reply("utter_campaign_list_empty")]


def test_the_list_shows_the_latest_five_own_campaigns_with_counts(
    sessions: sessionmaker[Session], desk: Supervision, clock: Clock
) -> None:
    team(sessions)
    add_learner(sessions, "root", org=None, access="admin")
    sup = learner(sessions, "sup")
    ids = []
    quick = [("course", "ethics"), ("course", "cyber"), ("inactive", None),
             ("course", "done"), ("course", "optional"), ("course", "demo")]  # fmt: skip
    for kind, course in quick:
        clock.now += timedelta(minutes=1)
        [preview] = desk.quick(sup, kind, course)
        ids.append(preview.args["campaign"])
    desk.quick(learner(sessions, "root"), "inactive", None)  # the admin's own: not sup's
    desk.confirm(sup, ids[-1])
    desk.drop(sup, ids[2])
    queue = SendQueue(sessions, clock)
    Campaigns(sessions, queue, clock).start_due()
    with sessions.begin() as session:  # one of the three queued sends has gone out
        first = session.scalars(select(SendRow).where(SendRow.status == "queued")).first()
        assert first is not None
        first.status = "sent"
    [listed] = desk.history(sup)
    assert listed.response == "utter_campaign_list"
    assert listed.args["campaigns"].splitlines() == [
        "📤 Demo course: 1/4",
        "📝 Optional: 0/0",
        "📝 All done: 0/0",
        "✖ Inactive 7+ days: 0/0",
        "📝 Cyber hygiene for government staff: 0/0",
    ]  # newest first; the oldest (ethics) left out
    [root] = desk.history(learner(sessions, "root"))
    assert root.args["campaigns"].splitlines() == ["📝 Inactive 7+ days: 0/0"]


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Ethics", "Ethics"),
        (LONG, "Cyber hygiene for…"),
        ("Orientation to Mission Karmayogi", "Orientation to…"),
        ("Antidisestablishmentarianism", "Antidisestablishmen…"),
        ("सरकारी कर्मचारियों के लिए साइबर स्वच्छता", "सरकारी कर्मचारियों…"),
        ("अधिकारियोंकेलिएसूचनाकाअधिकार", "अधिकारियोंकेलिएसूच…"),  # not सूचन…: ना stays whole
    ],
)
def test_button_titles_are_shortened_without_breaking_a_letter(text: str, short: str) -> None:
    assert short_title(text) == short
    assert len(short) <= 20
