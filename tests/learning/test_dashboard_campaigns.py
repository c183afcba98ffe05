"""The dashboard's campaign queries on SQLite and PostgreSQL: headline counts of many
campaigns in two queries, and sends per hour or per day in the deployment's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import CampaignRow, SendRow
from learning.channel_models import OutboundMessageRow
from learning.dashboard_campaigns import MAX_DAYS, Headline, headlines, names, sends_over_time
from tests.learning.store import T0, add_learner, migrated

INDIA = ZoneInfo("Asia/Kolkata")


def world(db_url: str) -> sessionmaker[Session]:
    sessions = migrated(db_url)
    for lid in ("a", "b", "c"):
        add_learner(sessions, lid)
    with sessions.begin() as session:
        for cid in ("c1", "c2", "c3"):
            session.add(CampaignRow(id=cid, name=cid, filters="{}", message="{}", created_at=T0))
    return sessions


def send(session: Session, campaign: str, learner: str, status: str, at: datetime | None) -> None:
    session.add(SendRow(key=f"{campaign}:{learner}:{status}:{at}", kind="campaign",
                        campaign_id=campaign, learner_id=learner, status=status,
                        sent_at=at))  # fmt: skip


def test_headlines_count_targeted_sent_and_delivered_per_campaign(db_url: str) -> None:
    sessions = world(db_url)
    with sessions.begin() as session:
        send(session, "c1", "a", "sent", T0)
        send(session, "c1", "b", "sent", T0)
        send(session, "c1", "c", "skipped", None)
        send(session, "c2", "a", "queued", None)
        for message, learner, delivered in (("m1", "a", T0), ("m2", "a", T0), ("m3", "b", None)):
            session.add(OutboundMessageRow(channel="telegram", message_id=message,
                                           learner_id=learner, kind="campaign", campaign_id="c1",
                                           sent_at=T0, delivered_at=delivered))  # fmt: skip
    with sessions() as session:
        assert headlines(session, ["c1", "c2", "c3"]) == {
            "c1": Headline(3, 2, 1), "c2": Headline(1, 0, 0)}  # fmt: skip
        assert headlines(session, []) == {}
        assert names(session, ["a", None, "nobody"]) == {"a": "Learner a"}


def test_sends_within_two_days_are_counted_per_hour_in_india_time(db_url: str) -> None:
    sessions = world(db_url)
    with sessions.begin() as session:  # T0 is 11:30 in India
        send(session, "c1", "a", "sent", T0)
        send(session, "c1", "b", "sent", T0 + timedelta(minutes=29, seconds=59))
        send(session, "c1", "c", "sent", T0 + timedelta(hours=2, minutes=30))  # 14:00
        send(session, "c1", "c", "failed", T0 + timedelta(hours=1))  # not sent: not counted
        send(session, "c2", "a", "sent", T0 + timedelta(hours=1))  # another campaign
    with sessions() as session:
        timeline = sends_over_time(session, "c1", INDIA)
        assert sends_over_time(session, "c3", INDIA).points == ()
    assert timeline.unit == "hour"
    assert [(s.strftime("%H:%M"), n) for s, n in timeline.points] == [
        ("11:00", 2), ("12:00", 0), ("13:00", 0), ("14:00", 1)]  # fmt: skip
    assert all(s.utcoffset() == timedelta(hours=5, minutes=30) for s, _ in timeline.points)


def test_longer_campaigns_are_counted_per_day_for_the_last_days(db_url: str) -> None:
    sessions = world(db_url)
    late = T0.replace(hour=20)  # 1:30 the next day in India
    with sessions.begin() as session:
        send(session, "c1", "a", "sent", T0)
        send(session, "c1", "b", "sent", late)
        send(session, "c1", "c", "sent", T0 + timedelta(days=3))
        send(session, "c2", "a", "sent", T0 - timedelta(days=200))
        send(session, "c2", "b", "sent", T0)
    with sessions() as session:
        days = sends_over_time(session, "c1", INDIA)
        capped = sends_over_time(session, "c2", INDIA)
    assert days.unit == "day"
    assert [(s.strftime("%d %H:%M"), n) for s, n in days.points] == [
        ("03 00:00", 1), ("04 00:00", 1), ("05 00:00", 0), ("06 00:00", 1)]  # fmt: skip
    assert len(capped.points) == MAX_DAYS and capped.points[-1][1] == 1
    assert sum(n for _, n in capped.points) == 1  # the send 200 days ago is before the chart
