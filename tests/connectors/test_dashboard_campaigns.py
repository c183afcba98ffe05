"""The dashboard's campaign pages over HTTP, on SQLite and PostgreSQL: the form pre-filled from
the URL, create → preview → send → the worker's progress in the report, the buttons each state
allows, another organisation's campaign as a 404, CSRF on every POST, the audit log, Hindi.

The team is tests/learning/dashboard_data.py's: sup_a supervises District A (sup_a, a, a1 in
Block A1, idle), sup_b District B (sup_b, b), root is an admin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.dashboard.auth import SESSION_COOKIE
from learning.campaign_message import Message
from learning.campaign_models import AuditRow, CampaignRow
from learning.campaigns import Actor, Campaigns
from learning.cohort import Cohort
from learning.content import Library
from learning.content_loader import load
from learning.deliveries import Deliveries
from learning.organisations import Reach
from learning.sends import Result, SendQueue
from tests.connectors import test_dashboard
from tests.connectors.test_dashboard import Site as DashboardSite
from tests.connectors.test_dashboard import build as build_dashboard
from tests.connectors.test_dashboard import csrf_of, figures
from tests.learning.conftest import postgres_url  # noqa: F401  (fixture)
from tests.learning.store import T0

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"
#: The at-risk page's link: everyone in Block A1 who has not completed RTI.
AT_RISK = {"course": "rti", "status": "not_completed", "due_before": "2027-01-01",
           "inactive_days": "7", "role": "Officer", "language": "hi",
           "organisation": "Block A1"}  # fmt: skip
#: A reminder to District A's learners who have not completed RTI: sup_a, a1 and idle
#: (a has completed it).
REMIND = {"name": "Finish RTI", "course": "rti", "status": "not_completed",
          "template": "reminder", "sender": "Collector", "when": "now"}  # fmt: skip


#: The team of tests/learning/dashboard_data.py on SQLite and on PostgreSQL (a fixture).
sessions = test_dashboard.sessions


@dataclass
class Site(DashboardSite):
    """The dashboard, a campaign service and the worker's queue on its store, and a browser."""

    campaigns: Campaigns
    queue: SendQueue

    def csrf(self) -> str:
        return csrf_of(self.client.get("/dashboard/campaigns").text)

    def create(self, **fields: str) -> str:
        """A new campaign from the form; its id."""
        data = {"csrf": self.csrf()} | fields
        done = self.client.post("/dashboard/campaigns", data=data, follow_redirects=False)
        assert done.status_code == 303, done.text
        found = re.fullmatch(r"/dashboard/campaigns/([0-9a-f-]{36})", done.headers["location"])
        assert found, done.headers["location"]
        return found.group(1)

    def act(self, campaign_id: str, action: str, csrf: str | None = None) -> Any:
        data = {"csrf": self.csrf() if csrf is None else csrf}
        path = f"/dashboard/campaigns/{campaign_id}/{action}"
        return self.client.post(path, data=data, follow_redirects=False)

    def audit(self) -> list[tuple[str, str, bool]]:
        with self.sessions() as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.id))
            return [(r.actor, r.action, r.allowed) for r in rows]


def library() -> Library:
    demo = load(CONTENT).courses["demo"]
    rti = replace(demo, id="rti", title={"en": "Right to Information", "hi": "सूचना का अधिकार"})
    return Library({"rti": rti})


def build(sessions: sessionmaker[Session]) -> Site:
    """The dashboard with a course library; its pages make their own campaign service."""
    base = build_dashboard(sessions, library=library())
    queue = SendQueue(sessions, base.clock, worker="w1")
    campaigns = Campaigns(sessions, queue, base.clock)
    return Site(base.client, base.access, sessions, base.clock, campaigns, queue)


@pytest.fixture
def site(sessions: sessionmaker[Session]) -> Iterator[Site]:
    built = build(sessions)
    with built.client:
        yield built


def selected(html: str, name: str) -> str | None:
    select_ = html.split(f'<select name="{name}"')[1].split("</select>")[0]
    found = re.search(r'<option value="([^"]*)" selected>', select_)
    return found.group(1) if found else None


def options(html: str, name: str) -> list[str]:
    select_ = html.split(f'<select name="{name}"')[1].split("</select>")[0]
    return [v for v in re.findall(r'<option value="([^"]*)"', select_) if v]


def value(html: str, name: str) -> str:
    found = re.search(
        rf'<input type="\w+(?:-local)?" name="{name}" id="field-{name}" value="([^"]*)"', html
    )
    assert found, name
    return found.group(1)


def actions(html: str) -> list[str]:
    return re.findall(r'<div data-action="(\w+)">', html)


def test_the_form_is_prefilled_from_the_at_risk_pages_link(site: Site) -> None:
    site.sign_in("sup_a")
    page = site.client.get("/dashboard/campaigns/new", params=AT_RISK)
    assert page.status_code == 200
    html = page.text
    for name in ("course", "status", "role", "language", "organisation"):
        assert selected(html, name) == AT_RISK[name], name
    assert value(html, "due_before") == "2027-01-01" and value(html, "inactive_days") == "7"
    assert options(html, "organisation") == ["Block A1", "District A"]  # never District B
    assert options(html, "status") == ["not_started", "in_progress", "not_completed"]
    assert value(html, "name") == "Reminder of 3 Dec 2026"
    assert value(html, "sender") == "Learner sup_a"
    assert 'id="template-reminder" checked' in html and 'id="when-now" checked' in html
    assert 'aria-current="page">Campaigns</a>' in html
    assert "<script" not in html


@pytest.mark.parametrize(
    ("params", "status"),
    [({"organisation": "District B"}, 404), ({"organisation": "Nowhere"}, 404),
     ({"role": "x" * 201}, 400), ({"course": "rti\x01"}, 400)],
)  # fmt: skip
def test_a_prefill_outside_the_reach_is_404_and_a_bad_one_400(
    site: Site, params: dict[str, str], status: int
) -> None:
    site.sign_in("sup_a")
    response = site.client.get("/dashboard/campaigns/new", params=params)
    assert response.status_code == status
    assert "campaign-form" not in response.text


def test_create_preview_send_and_the_report_follows_the_worker(site: Site) -> None:
    site.sign_in("sup_a")
    campaign_id = site.create(**REMIND)
    page = site.client.get(f"/dashboard/campaigns/{campaign_id}").text
    assert 'data-status="draft"' in page and "Finish RTI" in page
    assert {k: figures(page)[k] for k in ("matched", "recipients", "excluded")} == {
        "matched": "3", "recipients": "3", "excluded": "0"}  # fmt: skip
    assert re.findall(r'data-breakdown="language">.*?</div>', page, re.S)[0].count("<tr") == 2
    assert 'data-value="telegram"' in page
    samples = dict(
        re.findall(r'data-sample="(\w+)" lang="\w+">\s*<h3>[^<]*</h3>\s*<p>([^<]*)</p>', page)
    )
    assert set(samples) == {"en", "hi"}
    assert "Collector reminds you to continue Right to Information" in samples["en"]
    assert "Asha" in samples["en"] and "सूचना का अधिकार" in samples["hi"]
    assert actions(page) == ["send", "cancel"]
    assert 'id="report"' not in page and "http-equiv" not in page  # a draft: nothing to report

    sent = site.act(campaign_id, "send")
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=send")
    page = site.client.get(sent.headers["location"]).text
    assert 'data-status="scheduled"' in page and 'data-notice="campaign_done_send"' in page
    assert actions(page) == ["pause", "cancel"]
    assert '<meta http-equiv="refresh" content="5">' in page  # due now: the page follows it

    assert site.campaigns.start_due() == [(campaign_id, 3)]
    claimed = {s.learner.id: s for s in site.queue.claim(10, ["telegram"])}
    site.queue.mark_sending([s.id for s in claimed.values()])
    report = figures(site.client.get(f"/dashboard/campaigns/{campaign_id}").text)
    assert (report["targeted"], report["sent"]) == ("3", "0")
    site.queue.finish([Result(claimed["sup_a"].id, "sent", message_ids=["m1"])])
    site.clock.now = T0 + timedelta(hours=2)
    site.queue.finish([Result(claimed["a1"].id, "sent", message_ids=["m2"]),
                       Result(claimed["idle"].id, "failed", reason="gave_up")])  # fmt: skip
    deliveries = Deliveries(site.sessions, site.clock)
    for message_id, learner in (("m1", "sup_a"), ("m2", "a1")):
        deliveries.record_sent("telegram", message_id, learner, "campaign", campaign_id)
    deliveries.record_status("telegram", "m1", "read", site.clock.now)
    site.campaigns.settle()

    page = site.client.get(f"/dashboard/campaigns/{campaign_id}").text
    shown = figures(page)
    assert {k: shown[k] for k in ("targeted", "sent", "delivered", "read", "failed", "skipped",
                                  "converted")} == {
        "targeted": "3", "sent": "2", "delivered": "1", "read": "1", "failed": "1",
        "skipped": "0", "converted": "0"}  # fmt: skip
    assert 'data-status="done"' in page and "http-equiv" not in page and actions(page) == []
    assert page.count('<rect class="step"') == 7
    over_time = page.split('id="over-time" data-unit="hour"')[1].split("</svg>")[0]
    bars = re.findall(r"<title>([^<]+)</title>", over_time)
    assert len(bars) == 12 and bars[0] == "3 Dec, 02:00: 0"
    assert all(bar.endswith(": 0") for bar in bars[:9])  # the hours before the first send
    assert bars[9:] == ["3 Dec, 11:00: 1", "3 Dec, 12:00: 0", "3 Dec, 13:00: 1"]  # India time
    assert 'data-value="gave_up"' in page
    listed = site.client.get("/dashboard/campaigns").text
    row = listed.split(f'data-campaign="{campaign_id}"')[1].split("</tr>")[0]
    assert 'data-status="done"' in row or "Done" in row
    assert re.findall(r'data-figure="(\w+)">(\d+)<', row) == [
        ("targeted", "3"), ("sent", "2"), ("delivered", "1")]  # fmt: skip


def test_pause_resume_cancel_and_a_second_click_is_409(site: Site) -> None:
    site.sign_in("sup_a")
    campaign_id = site.create(**REMIND)
    assert site.act(campaign_id, "send").status_code == 303
    again = site.act(campaign_id, "send")
    assert again.status_code == 409 and 'data-notice="campaign_error_state"' in again.text
    assert 'data-status="scheduled"' in again.text
    assert site.act(campaign_id, "pause").status_code == 303
    page = site.client.get(f"/dashboard/campaigns/{campaign_id}").text
    assert 'data-status="paused"' in page and actions(page) == ["resume", "cancel"]
    assert site.act(campaign_id, "resume").status_code == 303
    assert site.act(campaign_id, "cancel").status_code == 303
    page = site.client.get(f"/dashboard/campaigns/{campaign_id}?done=cancel").text
    assert 'data-status="cancelled"' in page and actions(page) == []
    assert "Nothing more will be sent." in page
    assert site.act(campaign_id, "resume").status_code == 409
    assert site.act(campaign_id, "explode").status_code == 404
    assert site.client.get(f"/dashboard/campaigns/{campaign_id}/send").status_code == 405
    mine = [(action, ok) for who, action, ok in site.audit() if who == "dashboard:sup_a"]
    for action in ("create", "view", "send", "pause", "resume", "cancel"):
        assert (action, True) in mine, action


def test_another_organisations_campaign_is_the_same_404_as_none(site: Site) -> None:
    sup_b = Actor("dashboard:sup_b", Reach(root="District B"), "sup_b")
    theirs = site.campaigns.create(sup_b, "B's", Cohort(), Message("custom", {"en": "Hi"})).id
    site.sign_in("sup_a")
    for path in (f"/dashboard/campaigns/{theirs}", "/dashboard/campaigns/no-such-id",
                 f"/dashboard/campaigns/{'x' * 500}"):  # fmt: skip
        response = site.client.get(path)
        assert response.status_code == 404 and "outside your organisation" in response.text
        assert "B&#39;s" not in response.text and "B's" not in response.text
    assert site.act(theirs, "send").status_code == 404
    assert site.act(theirs, "cancel").status_code == 404
    assert site.campaigns.get(Actor.operator(), theirs).status == "draft"  # untouched
    assert theirs not in site.client.get("/dashboard/campaigns").text
    refused = [a for a in site.audit() if a[0] == "dashboard:sup_a"]
    assert refused == [("dashboard:sup_a", "view", False), ("dashboard:sup_a", "send", False),
                       ("dashboard:sup_a", "cancel", False)]  # fmt: skip


def test_an_admin_lists_everyones_campaigns_a_supervisor_only_their_own(site: Site) -> None:
    site.sign_in("sup_a")
    mine = site.create(**REMIND)
    site.client.cookies.clear()
    site.sign_in("sup_b")
    empty = site.client.get("/dashboard/campaigns").text
    assert mine not in empty and 'id="no-campaigns"' in empty
    theirs = site.create(name="B push", template="custom", text="Hello {name}", when="now")
    site.client.cookies.clear()
    site.sign_in("root")
    listed = site.client.get("/dashboard/campaigns").text
    assert mine in listed and theirs in listed
    assert "Learner sup_a" in listed and "Learner sup_b" in listed  # who created each
    page = site.client.get(f"/dashboard/campaigns/{theirs}")
    assert page.status_code == 200 and "Hello Asha" in page.text


@pytest.mark.parametrize("csrf", [None, "", "0" * 64, "forged"])
def test_a_post_without_the_sessions_csrf_token_is_403_and_changes_nothing(
    site: Site, csrf: str | None
) -> None:
    site.sign_in("sup_a")
    campaign_id = site.create(**REMIND)
    before = site.audit()
    data = REMIND if csrf is None else REMIND | {"csrf": csrf}
    assert site.client.post("/dashboard/campaigns", data=data).status_code == 403
    data = {} if csrf is None else {"csrf": csrf}
    refused = site.client.post(f"/dashboard/campaigns/{campaign_id}/send", data=data)
    assert refused.status_code == 403
    assert site.audit() == before  # refused before the engine was asked
    assert site.campaigns.get(Actor.operator(), campaign_id).status == "draft"
    with site.sessions() as session:
        assert len(session.scalars(select(CampaignRow)).all()) == 1


def test_another_sessions_token_is_refused(site: Site, sessions: sessionmaker[Session]) -> None:
    other = build(sessions)
    other.sign_in("sup_a")
    token = other.csrf()
    site.sign_in("sup_a")
    response = site.client.post("/dashboard/campaigns", data=REMIND | {"csrf": token})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("fields", "errors"),
    [({"name": ""}, {"name"}),
     ({"course": "", "template": "custom", "text": "Hi"}, {"course"}),  # status needs a course
     ({"template": "deadline"}, {"due_date"}),
     ({"template": "custom", "status": "", "course": ""}, {"text"}),
     ({"due_before": "soon", "inactive_days": "-1"}, {"due_before", "inactive_days"}),
     ({"status": "completed"}, {"status"}),
     ({"when": "at", "at": "2026-12-03T09:00"}, {"at"}),  # 09:00 India time is past
     ({"when": "weekly", "weekday": "someday", "weekly_time": "09:30"}, {"weekday"}),
     ({"name": "x" * 201}, {"name"})],
)  # fmt: skip
def test_a_form_with_mistakes_comes_back_with_them_marked(
    site: Site, fields: dict[str, str], errors: set[str]
) -> None:
    site.sign_in("sup_a")
    response = site.client.post(
        "/dashboard/campaigns", data=REMIND | fields | {"csrf": site.csrf()}
    )
    assert response.status_code == 400
    assert set(re.findall(r'<span class="error" id="error-(\w+)">', response.text)) == errors
    assert 'id="form-errors"' in response.text
    assert value(response.text, "name") == (REMIND | fields)["name"][:200]  # as sent, no default
    with site.sessions() as session:
        assert session.scalars(select(CampaignRow)).all() == []


def test_schedules_at_a_time_and_weekly_and_custom_texts(site: Site) -> None:
    site.sign_in("sup_a")
    at = site.create(**REMIND | {"when": "at", "at": "2026-12-05T09:00"})
    weekly = site.create(**REMIND | {"when": "weekly", "weekday": "fri", "weekly_time": "16:45"})
    custom = site.create(name="Note", template="custom", text="Hello {name}",
                         text_hi="नमस्ते {name}", when="now")  # fmt: skip
    operator = Actor.operator()
    assert site.campaigns.get(operator, at).schedule == "2026-12-05T09:00+05:30"
    assert site.campaigns.get(operator, weekly).schedule == "weekly fri 16:45"
    assert site.campaigns.get(operator, custom).message.texts == {"en": "Hello {name}",
                                                                  "hi": "नमस्ते {name}"}  # fmt: skip
    page = site.client.get(f"/dashboard/campaigns/{weekly}").text
    assert "Every Friday at 16:45" in page
    assert "On 5 Dec 2026, 09:00" in site.client.get(f"/dashboard/campaigns/{at}").text
    page = site.client.get(f"/dashboard/campaigns/{custom}").text
    assert "Hello Asha" in page and "नमस्ते" in page  # each language its own text


def test_an_organisation_outside_the_reach_is_refused_and_audited(site: Site) -> None:
    site.sign_in("sup_a")
    data = REMIND | {"organisation": "District B", "csrf": site.csrf()}
    response = site.client.post("/dashboard/campaigns", data=data)
    assert response.status_code == 404
    assert ("dashboard:sup_a", "create", False) in site.audit()


def test_without_a_session_every_campaign_page_sends_you_to_sign_in(site: Site) -> None:
    for response in (
        site.client.get("/dashboard/campaigns", follow_redirects=False),
        site.client.get("/dashboard/campaigns/new", follow_redirects=False),
        site.client.post("/dashboard/campaigns", data=REMIND, follow_redirects=False),
        site.client.post("/dashboard/campaigns/x/send", data={}, follow_redirects=False),
    ):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dashboard/signin")
    assert SESSION_COOKIE not in site.client.cookies


def test_the_campaign_pages_speak_hindi(site: Site) -> None:
    site.sign_in("sup_a")
    campaign_id = site.create(**REMIND)
    page = site.client.get(f"/dashboard/campaigns/{campaign_id}", params={"lang": "hi"}).text
    assert '<html lang="hi">' in page and "पूर्वावलोकन" in page and "मसौदा" in page
    assert "Preview" not in page
    form = site.client.get("/dashboard/campaigns/new", params={"lang": "hi"}).text
    assert "नया अभियान" in form and 'action="/dashboard/campaigns?lang=hi"' in form
    done = site.client.post(f"/dashboard/campaigns/{campaign_id}/send?lang=hi",
                            data={"csrf": site.csrf()}, follow_redirects=False)  # fmt: skip
    assert done.headers["location"] == f"/dashboard/campaigns/{campaign_id}?done=send&lang=hi"


def test_every_text_key_the_pages_use_is_in_english_and_hindi() -> None:
    from connectors.dashboard.campaign_forms import STATUSES, WHEN
    from connectors.dashboard.campaign_view import ACTIONS, FUNNEL
    from core.i18n import section_texts
    from learning.campaign_message import TEMPLATES

    keys = {f"campaign_progress_{s}" for s in STATUSES} | {f"campaign_when_{w}" for w in WHEN}
    keys |= {f"campaign_template_{t}" for t in TEMPLATES} | {f"campaign_done_{a}" for a in ACTIONS}
    keys |= {f"campaign_figure_{f}" for f in FUNNEL}
    source = "".join(
        (Path(__file__).parents[2] / "connectors/dashboard" / name).read_text(encoding="utf-8")
        for name in (
            "campaign_forms.py",
            "campaign_pages.py",
            "campaign_view.py",
            "campaign_new.py",
        )
    )
    keys |= set(re.findall(r'"(campaign_[a-z_]+)"', source)) - {"campaign_routes"}
    for code in ("en", "hi"):
        texts = section_texts("dashboard_campaigns", code)
        assert keys <= set(texts), (code, keys - set(texts))


def test_the_funnel_scales_rows_to_the_largest_step_and_leaves_bar_chart_alone() -> None:
    from connectors.dashboard.chart import bar_chart, funnel_chart

    funnel = funnel_chart([("targeted", "Targeted", 8), ("sent", "Sent", 4), ("read", "Read", 0)])
    assert [step.width / funnel.steps[0].width for step in funnel.steps] == [1, 0.5, 0]
    assert [step.key for step in funnel.steps] == ["targeted", "sent", "read"]
    assert all(s.x + s.width <= funnel.width and s.y + s.height <= funnel.height
               for s in funnel.steps)  # fmt: skip
    assert funnel_chart([("targeted", "Targeted", 0)]).steps[0].width == 0  # nothing: no error
    labelled = [b.label for b in bar_chart([(str(n), n) for n in range(7)]).bars if b.show_label]
    assert labelled == ["0", "3", "6"]  # the overview's chart is unchanged


def test_a_long_hindi_text_fits_and_a_body_over_the_cap_is_413(site: Site) -> None:
    site.sign_in("sup_a")
    long_text = "नमस्ते " * 580  # 4,060 characters, about 36 KB once URL-encoded
    campaign_id = site.create(name="Long", template="custom", text_hi=long_text, when="now")
    texts = site.campaigns.get(Actor.operator(), campaign_id).message.texts
    assert texts == {"hi": long_text.strip()}
    data = {"csrf": site.csrf(), "name": "Huge", "template": "custom", "text": "x" * 70_000}
    assert site.client.post("/dashboard/campaigns", data=data).status_code == 413
    assert len(site.campaigns.all(Actor.operator())) == 1
