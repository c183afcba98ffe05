"""A campaign to everyone, sent two days ago, for the campaign report page.

Created and planned through the campaign service (`Campaigns.start_due`: one send per learner),
then its outcome written in bulk, by send id: 90 % sent (over six hours, on WhatsApp: 85 % of
those delivered, 60 % read), 5 % skipped (opted out), 3 % failed (blocked), 2 % still queued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from bench.campaigns.stores import Store
from bench.dashboard.generate import Dialect
from learning.campaign_message import Message
from learning.campaigns import Actor, Campaigns
from learning.cohort import Cohort
from learning.organisations import Reach
from learning.sends import SendQueue

TWO_DAYS_S = 2 * 86_400


def outcome_sql(dialect: Dialect) -> list[str]:
    """The bulk updates, in order (parameters :cid and :now_s)."""
    sent_at = dialect.ago(f"{TWO_DAYS_S} - (id % 21600)")
    received = dialect.ago(f"{TWO_DAYS_S} - (id % 21600) - 60")
    return [
        f"UPDATE sends SET status = CASE WHEN id % 100 < 90 THEN 'sent' "
        f"WHEN id % 100 < 95 THEN 'skipped' WHEN id % 100 < 98 THEN 'failed' ELSE 'queued' END, "
        f"reason = CASE WHEN id % 100 < 90 THEN NULL WHEN id % 100 < 95 THEN 'opt_out' "
        f"WHEN id % 100 < 98 THEN 'blocked' END, channel = 'whatsapp', "
        f"sent_at = CASE WHEN id % 100 < 90 THEN {sent_at} END WHERE campaign_id = :cid",
        f"INSERT INTO outbound_messages (channel, message_id, learner_id, kind, campaign_id, "
        f"created_at, sent_at, delivered_at, read_at, permanent) "
        f"SELECT 'whatsapp', 'wamid.' || id, learner_id, 'template', campaign_id, {sent_at}, "
        f"{sent_at}, CASE WHEN id % 20 < 17 THEN {received} END, "
        f"CASE WHEN id % 10 < 6 THEN {received} END, {dialect.false} "
        f"FROM sends WHERE campaign_id = :cid AND status = 'sent'",
    ]


def sent_campaign(store: Store, owner: str, now: datetime) -> tuple[str, int]:
    """(the campaign's id, its sends) after planning it and writing its outcome."""
    queue = SendQueue(store.sessions, worker="bench-dashboard")
    campaigns = Campaigns(store.sessions, queue)
    actor = Actor(f"dashboard:{owner}", Reach(everyone=True), owner)
    message = Message("custom", {"en": "Namaste {name}: three lessons left this month."})
    campaign = campaigns.create(actor, "Year-end push", Cohort(), message)
    campaigns.send(actor, campaign.id)
    campaigns.start_due()
    params = {"cid": campaign.id, "now_s": int(now.timestamp())}
    with store.engine.begin() as connection:
        for sql in outcome_sql(Dialect(store.kind)):
            connection.execute(text(sql), params)
        sends = connection.scalar(
            text("SELECT count(*) FROM sends WHERE campaign_id = :cid"), {"cid": campaign.id}
        )
    if store.kind == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE sends"))
            c.execute(text("ANALYZE outbound_messages"))
    return campaign.id, int(sends or 0)
