"""What the messaging channels keep in the learner store, on SQLite and PostgreSQL: deliveries
seen once, button keys, outbound statuses, invites, opt-out history, roster handles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from learning.buttons import ButtonKeys, key_of
from learning.channel_models import OptEventRow
from learning.deliveries import Deliveries
from learning.inbox import Inbox
from learning.invites import Invites
from learning.models import LearnerRow
from learning.repository import SqlLearnerRepository
from tests.learning.store import Clock, migrated

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    return migrated(db_url)


def at_nine() -> Clock:
    """A clock the test moves, from 09:00 UTC."""
    return Clock(T0)


def test_each_delivery_is_first_once_per_channel(sessions: sessionmaker[Session]) -> None:
    inbox = Inbox(sessions)
    assert inbox.first_delivery("telegram", "1001") is True
    assert inbox.first_delivery("telegram", "1001") is False
    assert inbox.first_delivery("whatsapp", "1001") is True


def test_arrival_is_first_once_and_opens_the_window(sessions: sessionmaker[Session]) -> None:
    inbox = Inbox(sessions, at_nine())
    SqlLearnerRepository(sessions).get_or_create("whatsapp", "919800000009")
    assert inbox.arrive("whatsapp", "wamid.a", "919800000009", T0) is True
    assert inbox.last_inbound("whatsapp", "919800000009") == T0
    later = T0 + timedelta(hours=1)
    assert inbox.arrive("whatsapp", "wamid.a", "919800000009", later) is False  # a retry
    assert inbox.last_inbound("whatsapp", "919800000009") == T0


def test_old_delivery_ids_can_be_forgotten(sessions: sessionmaker[Session]) -> None:
    clock = at_nine()
    inbox = Inbox(sessions, clock)
    inbox.first_delivery("telegram", "1")
    clock.now = T0 + timedelta(days=3)
    inbox.first_delivery("telegram", "2")
    assert inbox.forget_before(T0 + timedelta(days=1)) == 1
    assert inbox.first_delivery("telegram", "1") is True
    assert inbox.first_delivery("telegram", "2") is False


def test_the_last_inbound_message_is_kept_per_link(sessions: sessionmaker[Session]) -> None:
    clock = at_nine()
    inbox = Inbox(sessions, clock)
    SqlLearnerRepository(sessions).get_or_create("whatsapp", "919800000001")
    assert inbox.last_inbound("whatsapp", "919800000001") is None
    inbox.touch("whatsapp", "919800000001")
    assert inbox.last_inbound("whatsapp", "919800000001") == T0
    inbox.touch("whatsapp", "919800000001", T0 - timedelta(hours=1))  # a late webhook
    assert inbox.last_inbound("whatsapp", "919800000001") == T0
    inbox.touch("whatsapp", "nobody")  # an unknown identity changes nothing
    assert inbox.last_inbound("whatsapp", "nobody") is None


def test_long_payloads_get_stable_short_keys_that_survive_a_restart(
    sessions: sessionmaker[Session],
) -> None:
    payload = '/answer_quiz{"option":"b","step":"0c6d2f8a-1b7e-4c55-9a4d-3f0e2d1c9b8a/q-3"}'
    assert len(payload.encode()) > 64
    key = ButtonKeys(sessions).key_for(payload)
    assert key == key_of(payload) and len(key.encode()) <= 22
    assert ButtonKeys(sessions).key_for(payload) == key  # same payload, same key, one row
    assert ButtonKeys(sessions).payload_for(key) == payload  # a new process finds it
    assert ButtonKeys(sessions).payload_for("k:unknownkey00000000") is None
    assert ButtonKeys(sessions).payload_for("/help") is None


def test_statuses_are_recorded_whatever_order_they_arrive_in(
    sessions: sessionmaker[Session],
) -> None:
    learner = SqlLearnerRepository(sessions).get_or_create("whatsapp", "919800000002")
    log = Deliveries(sessions, at_nine())
    log.record_status("whatsapp", "wamid.1", "read", T0 + timedelta(minutes=2))
    log.record_sent("whatsapp", "wamid.1", learner.id, kind="reply")
    log.record_status("whatsapp", "wamid.1", "delivered", T0 + timedelta(minutes=1))
    delivery = log.get("whatsapp", "wamid.1")
    assert delivery is not None and delivery.learner_id == learner.id
    assert (delivery.kind, delivery.status) == ("reply", "read")
    assert delivery.delivered_at == T0 + timedelta(minutes=1)
    assert not log.undeliverable("whatsapp", learner.id)
    log.record_sent("whatsapp", "wamid.2", learner.id)
    log.record_status(
        "whatsapp", "wamid.2", "failed", T0, error_code="131026", error="undeliverable",
        permanent=True,
    )  # fmt: skip
    failed = log.get("whatsapp", "wamid.2")
    assert failed is not None and failed.status == "failed" and failed.error_code == "131026"
    assert log.undeliverable("whatsapp", learner.id)
    assert log.undeliverable("whatsapp", learner.id, since=T0 - timedelta(minutes=1))
    assert not log.undeliverable("whatsapp", learner.id, since=T0 + timedelta(seconds=1))
    with pytest.raises(ValueError, match="unknown status"):
        log.record_status("whatsapp", "wamid.2", "bounced", T0)  # type: ignore[arg-type]


def test_an_invite_links_one_chat_account_once(sessions: sessionmaker[Session]) -> None:
    clock = at_nine()
    repo = SqlLearnerRepository(sessions)
    roster = repo.get_or_create("whatsapp", "919800000003", name="Asha Rao")
    invites = Invites(sessions, clock)
    code = invites.issue(roster.id)
    assert len(code) == 8 and code.isalnum()
    first = invites.redeem(code.lower(), "telegram", "777")
    assert (first.outcome, first.learner_id) == ("linked", roster.id)
    assert repo.get_by_channel("telegram", "777") == roster
    assert invites.redeem(code, "telegram", "777").outcome == "already"
    assert invites.redeem(code, "telegram", "888").outcome == "used"
    assert repo.get_by_channel("telegram", "888") is None
    assert invites.redeem("NOPE2345", "telegram", "888").outcome == "unknown"


def test_an_invite_moves_an_account_created_on_first_contact(
    sessions: sessionmaker[Session],
) -> None:
    clock = at_nine()
    repo = SqlLearnerRepository(sessions)
    roster = repo.get_or_create("whatsapp", "919800000004", name="Ravi")
    stranger = repo.get_or_create("telegram", "999")
    code = Invites(sessions, clock).issue(roster.id, ttl=timedelta(hours=1))
    assert Invites(sessions, clock).redeem(code, "telegram", "999").outcome == "linked"
    assert repo.get_by_channel("telegram", "999") == roster != stranger


def test_an_expired_invite_links_nothing(sessions: sessionmaker[Session]) -> None:
    clock = at_nine()
    roster = SqlLearnerRepository(sessions).get_or_create("whatsapp", "919800000005")
    code = Invites(sessions, clock).issue(roster.id, ttl=timedelta(days=1))
    clock.now = T0 + timedelta(days=2)
    assert Invites(sessions, clock).redeem(code, "telegram", "1").outcome == "expired"


def test_opt_outs_are_recorded_with_time_and_source(sessions: sessionmaker[Session]) -> None:
    repo = SqlLearnerRepository(sessions)
    learner = repo.get_or_create("whatsapp", "919800000006")
    repo.set_reminders(learner.id, False, source="keyword")
    repo.set_reminders(learner.id, True)
    with sessions() as session:
        events = session.scalars(sa.select(OptEventRow).order_by(OptEventRow.id)).all()
        assert [(e.enabled, e.source) for e in events] == [(False, "keyword"), (True, "chat")]
        assert all(e.at is not None for e in events)
    assert repo.get(learner.id).reminders_enabled is True  # type: ignore[union-attr]


def test_a_roster_handle_links_a_telegram_account_on_first_contact(
    sessions: sessionmaker[Session],
) -> None:
    repo = SqlLearnerRepository(sessions)
    roster = repo.get_or_create("whatsapp", "919800000007", name="Meena")
    with sessions.begin() as session:
        session.get(LearnerRow, roster.id).telegram_username = "meena_iyer"  # type: ignore[union-attr]
    linked = repo.get_or_create("telegram", "4242", name="M", username="@Meena_Iyer")
    assert linked.id == roster.id and repo.get_by_channel("telegram", "4242") == linked
    other = repo.get_or_create("telegram", "4343", username="someone_else")
    assert other.id != roster.id
