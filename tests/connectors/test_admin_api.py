"""The admin API over HTTP, on SQLite and PostgreSQL: bearer tokens, who may run which
campaign, validation, previews, transitions and the delivery report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from connectors.admin_api import admin_routes
from learning.campaign_models import AuditRow, CampaignRow
from learning.campaigns import Actor, Campaigns
from learning.deliveries import Deliveries
from learning.models import LearnerRow
from learning.organisations import ensure
from learning.sends import Result, SendQueue
from learning.tokens import ApiTokens
from tests.learning.conftest import fresh_database, postgres_url  # noqa: F401  (fixture)
from tests.learning.store import T0, Clock, add_learner, migrated

API = "/admin/api/campaigns"
REMIND = {"template": "reminder", "course": "rti"}


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    return migrated(fresh_database(request.param, request, tmp_path))


@dataclass
class Admin:
    """The API under test and the services behind it."""

    client: TestClient
    sessions: sessionmaker[Session]
    campaigns: Campaigns
    queue: SendQueue
    tokens: ApiTokens
    clock: Clock

    def auth(self, learner_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.issue(learner_id)}"}

    def create(self, headers: dict[str, str], **body: Any) -> Any:
        response = self.client.post(API, json={"name": "Finish RTI", "message": REMIND} | body,
                                    headers=headers)  # fmt: skip
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def admin(sessions: sessionmaker[Session]) -> Iterator[Admin]:
    with sessions.begin() as session:
        ensure(session, "District A", "State")
        ensure(session, "Block A1", "District A")
        ensure(session, "District B", "State")
    add_learner(sessions, "root", org="State", access="admin")
    add_learner(sessions, "sup", access="supervisor")
    add_learner(sessions, "sup_b", org="District B", access="supervisor")
    add_learner(sessions, "a")
    add_learner(sessions, "a1", org="Block A1", language="hi", channel="whatsapp")
    add_learner(sessions, "off", enabled=False)
    add_learner(sessions, "web", channel="web")
    add_learner(sessions, "b", org="District B")
    clock = Clock()
    queue = SendQueue(sessions, clock, worker="w1")
    campaigns, tokens = Campaigns(sessions, queue, clock), ApiTokens(sessions, clock)
    app = Starlette(routes=admin_routes(campaigns, tokens, sessions, queue, max_body_bytes=4096))
    with TestClient(app) as client:
        yield Admin(client, sessions, campaigns, queue, tokens, clock)


def campaign_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(session.scalars(select(CampaignRow)).all())


def test_no_token_or_a_bad_one_is_401_with_a_bearer_challenge(admin: Admin) -> None:
    revoked = admin.auth("sup")
    admin.tokens.revoke_all("sup")
    for headers in (
        {},
        {"Authorization": "Basic c3VwOnNlY3JldA=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer kbt_guessed"},
        revoked,
    ):
        response = admin.client.get(API, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]
    refused = admin.client.post(API, json={"name": "x", "message": REMIND}, headers=revoked)
    assert refused.status_code == 401
    assert admin.client.post(API, content=b"garbage").status_code == 401  # before the body
    assert campaign_count(admin.sessions) == 0


def test_a_learner_demoted_after_the_token_was_issued_is_403(admin: Admin) -> None:
    headers = admin.auth("sup")
    assert admin.client.get(API, headers=headers).status_code == 200
    with admin.sessions.begin() as session:
        session.execute(update(LearnerRow).filter_by(id="sup").values(access="learner"))
    for response in (
        admin.client.get(API, headers=headers),
        admin.client.post(API, json={"name": "x", "message": REMIND}, headers=headers),
    ):
        assert response.status_code == 403
        assert "supervisor or admin" in response.json()["error"]
    assert campaign_count(admin.sessions) == 0


def test_a_supervisor_creates_within_their_subtree_and_is_refused_outside(admin: Admin) -> None:
    headers = admin.auth("sup")
    response = admin.client.post(
        API,
        json={"name": "Block push", "filters": {"organisation": "Block A1", "course": "rti",
              "status": "not_completed", "due_before": "2027-01-01"},
              "message": REMIND | {"sender": "Collector"}, "schedule": "weekly mon 09:30"},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{API}/{body['id']}"
    assert body["name"] == "Block push" and body["status"] == "draft"
    assert (body["schedule"], body["next_run_at"], body["runs"]) == ("weekly mon 09:30", None, 0)
    assert body["filters"] == {"organisation": "Block A1", "course": "rti",
                               "status": "not_completed", "due_before": "2027-01-01"}  # fmt: skip
    assert body["message"]["sender"] == "Collector" and body["message"]["course"] == "rti"
    assert datetime.fromisoformat(body["created_at"]) == T0
    outside = admin.client.post(
        API,
        json={"name": "B", "filters": {"organisation": "District B"}, "message": REMIND},
        headers=headers,
    )
    assert outside.status_code == 403
    assert "error" in outside.json()
    assert campaign_count(admin.sessions) == 1
    with admin.sessions() as session:
        audit = [
            (r.actor, r.action, r.allowed)
            for r in session.scalars(select(AuditRow).order_by(AuditRow.id))
        ]
    assert audit == [("api:sup", "create", True), ("api:sup", "create", False)]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"not json", 400, "JSON"),
        (b"[1, 2]", 400, "object"),
        (b"[" * 5000, 413, "bytes"),
        (b"[" * 2000 + b"]" * 2000, 400, "JSON"),  # too deep for the parser, within the cap
        (b'{"message": {"template": "reminder", "course": "rti"}}', 422, "name"),
        (b'{"name": "x", "filters": {"status": "in_progress"}, "message": {"course": "rti"}}',
         422, "needs a course"),
        (b'{"name": "x", "message": {"template": "deadline", "course": "rti"}}', 422, "due date"),
        (b'{"name": "x", "message": {"template": "custom"}}', 422, "text"),
        (b'{"name": "x", "message": {"course": "rti"}, "schedule": "soonish"}', 422, "schedule"),
        (b'{"name": "x", "message": {"course": "rti"}, "schedule": "2026-12-05T09:00"}',
         422, "offset"),
        (b'{"name": "x", "filters": {"district": "A"}, "message": {"course": "rti"}}',
         422, "district"),
        (b'{"name": "x", "filters": {"inactive_days": "7"}, "message": {"course": "rti"}}',
         422, "whole number"),
        (b'{"name": "x", "filters": {"inactive_days": 10000000}, "message": {"course": "rti"}}',
         422, "between"),
        (b'{"name": "x", "filters": {"due_before": "soon"}, "message": {"course": "rti"}}',
         422, "date"),
        (b'{"name": "x\\u0000", "message": {"course": "rti"}}', 422, "name"),
    ],
)  # fmt: skip
def test_bad_bodies_are_refused_with_what_is_wrong(
    admin: Admin, body: bytes, status: int, says: str
) -> None:
    response = admin.client.post(API, content=body, headers=admin.auth("sup"))
    assert response.status_code == status, response.text
    assert says in response.json()["error"]
    assert campaign_count(admin.sessions) == 0


def test_preview_counts_languages_channels_and_exclusions(admin: Admin) -> None:
    headers = admin.auth("sup")
    campaign = admin.create(headers)
    response = admin.client.post(f"{API}/{campaign['id']}/preview", headers=headers)
    assert response.status_code == 200
    preview = response.json()
    assert preview["campaign"]["id"] == campaign["id"]
    # sup, a, a1, off and web are in District A's subtree; b (District B) never is.
    assert (preview["total"], preview["recipients"]) == (5, 3)
    assert preview["languages"] == {"en": 2, "hi": 1}
    assert preview["channels"] == {"telegram": 2, "whatsapp": 1}
    assert preview["excluded"] == {"opt_out": 1, "no_channel": 1}
    other = admin.client.post(f"{API}/{campaign['id']}/preview", headers=admin.auth("sup_b"))
    assert other.status_code == 403


def test_send_pause_resume_cancel_and_invalid_transitions(admin: Admin) -> None:
    headers = admin.auth("sup")
    cid = admin.create(headers)["id"]

    def act(action: str) -> Any:
        return admin.client.post(f"{API}/{cid}/{action}", headers=headers)

    sent = act("send")
    assert sent.status_code == 200
    assert sent.json()["status"] == "scheduled"
    assert datetime.fromisoformat(sent.json()["next_run_at"]) == T0
    assert act("send").status_code == 409  # not a draft any more
    assert act("resume").status_code == 409  # not paused
    assert act("pause").json()["status"] == "paused"
    assert act("pause").status_code == 409
    assert act("resume").json()["status"] == "scheduled"  # nothing planned yet: waits its run
    cancelled = act("cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    conflict = act("resume")
    assert conflict.status_code == 409
    assert "cancelled" in conflict.json()["error"]
    assert (
        admin.client.get(f"{API}/{cid}", headers=headers).json()["campaign"]["next_run_at"] is None
    )
    trail = [(who, what) for _, who, what, ok in admin.campaigns.audit_trail(cid) if ok]
    assert ("api:sup", "send") in trail and ("api:sup", "cancel") in trail
    assert admin.client.get(f"{API}/{cid}/send", headers=headers).status_code == 405


def test_an_unknown_campaign_is_404(admin: Admin) -> None:
    headers = admin.auth("root")
    for response in (
        admin.client.get(f"{API}/no-such-campaign", headers=headers),
        admin.client.post(f"{API}/no-such-campaign/preview", headers=headers),
        admin.client.post(f"{API}/no-such-campaign/send", headers=headers),
        admin.client.post(f"{API}/no-such-campaign/cancel", headers=headers),
        admin.client.get(f"{API}/{'x' * 500}", headers=headers),
        admin.client.get(f"{API}/nul%00id", headers=headers),
    ):
        assert response.status_code == 404
        assert "no campaign" in response.json()["error"]


def test_an_admin_sees_every_campaign_a_supervisor_only_their_own(admin: Admin) -> None:
    sup, sup_b, root = admin.auth("sup"), admin.auth("sup_b"), admin.auth("root")
    mine = admin.create(sup, name="A")["id"]
    theirs = admin.create(sup_b, name="B")["id"]
    admin.clock.now = T0 + timedelta(minutes=1)
    everyone = admin.create(root, name="All", filters={"organisation": "District B"})["id"]

    def listed(headers: dict[str, str]) -> list[str]:
        response = admin.client.get(API, headers=headers)
        assert response.status_code == 200
        return [c["id"] for c in response.json()["campaigns"]]

    assert listed(sup) == [mine]
    assert listed(sup_b) == [theirs]
    assert listed(root)[0] == everyone and set(listed(root)) == {mine, theirs, everyone}
    assert admin.client.get(f"{API}/{theirs}", headers=sup).status_code == 403
    assert admin.client.post(f"{API}/{theirs}/send", headers=sup).status_code == 403
    assert admin.client.post(f"{API}/{mine}/send", headers=root).status_code == 200
    assert admin.campaigns.get(Actor.operator(), theirs).status == "draft"  # refused: untouched


def test_the_report_counts_sends_deliveries_and_reads(admin: Admin) -> None:
    headers = admin.auth("sup")
    cid = admin.create(headers)["id"]
    admin.client.post(f"{API}/{cid}/send", headers=headers)
    assert admin.campaigns.start_due() == [(cid, 5)]

    def report() -> Any:
        response = admin.client.get(f"{API}/{cid}", headers=headers)
        assert response.status_code == 200
        return response.json()["report"]

    planned = report()
    assert (planned["targeted"], planned["queued"], planned["sent"]) == (5, 3, 0)
    assert planned["skipped"] == {"opt_out": 1, "no_channel": 1}
    claimed = {s.learner.id: s for s in admin.queue.claim(10, ["telegram", "whatsapp"])}
    assert set(claimed) == {"sup", "a", "a1"}
    admin.queue.mark_sending([s.id for s in claimed.values()])
    assert report()["in_flight"] == 3
    admin.queue.finish([
        Result(claimed["sup"].id, "sent", message_ids=["m1", "m3"]),
        Result(claimed["a"].id, "sent", message_ids=["m2"]),
        Result(claimed["a1"].id, "failed", reason="bad_number"),
    ])  # fmt: skip
    deliveries = Deliveries(admin.sessions, admin.clock)
    for message_id, learner in (("m1", "sup"), ("m3", "sup"), ("m2", "a")):
        deliveries.record_sent("telegram", message_id, learner, "campaign", cid)
    deliveries.record_sent("telegram", "m9", "a", "reply")  # not the campaign's
    later = T0 + timedelta(minutes=5)
    deliveries.record_status("telegram", "m1", "delivered", later)
    deliveries.record_status("telegram", "m3", "delivered", later)  # same learner: counted once
    deliveries.record_status("telegram", "m2", "read", later)  # read implies delivered
    deliveries.record_status("telegram", "m9", "read", later)
    assert report() == {
        "targeted": 5, "queued": 0, "in_flight": 0, "sent": 2, "failed": 1,
        "skipped": {"opt_out": 1, "no_channel": 1}, "unknown": 0, "cancelled": 0,
        "delivered": 2, "read": 1, "undelivered": 0, "deferred": {},
        "failures": {"bad_number": 1},
        "lesson_after": 0, "course_after": 0, "days": 7,
        "first_sent": T0.isoformat(), "last_sent": T0.isoformat(),  # both sent at T0
    }  # fmt: skip
