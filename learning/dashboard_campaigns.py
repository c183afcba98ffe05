"""Campaign figures for the supervisor dashboard: headline counts of many campaigns at once,
and a campaign's sends over time.

Both are aggregate SQL: the list of campaigns costs two grouped queries whatever its length,
and the timeline one query of `COUNT(CASE …)` columns, one per hour or day (bucket bounds are
computed here, so no date-truncation SQL differs between SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Literal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from learning.campaign_models import SendRow
from learning.channel_models import OutboundMessageRow
from learning.models import LearnerRow, aware

#: A campaign whose sends span at most this long is charted per hour, else per day.
HOURLY_SPAN = timedelta(hours=48)
#: Days charted at most (the most recent ones).
MAX_DAYS = 90

Unit = Literal["hour", "day"]


@dataclass(frozen=True)
class Headline:
    """A campaign at a glance: learners targeted, sent to, and whose message was delivered."""

    targeted: int = 0
    sent: int = 0
    delivered: int = 0


def headlines(session: Session, campaign_ids: Collection[str]) -> dict[str, Headline]:
    """Headline counts of these campaigns (over all their runs); missing ones have none yet."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    sent = func.count(case((SendRow.status == "sent", SendRow.id)))
    counts = session.execute(
        select(SendRow.campaign_id, func.count(), sent)
        .where(SendRow.campaign_id.in_(ids))
        .group_by(SendRow.campaign_id)
    )
    reached = or_(
        OutboundMessageRow.delivered_at.is_not(None), OutboundMessageRow.read_at.is_not(None)
    )
    learners = func.count(func.distinct(OutboundMessageRow.learner_id))
    delivered: dict[str | None, int] = {}
    for cid, n in session.execute(
        select(OutboundMessageRow.campaign_id, learners)
        .where(OutboundMessageRow.campaign_id.in_(ids), reached)
        .group_by(OutboundMessageRow.campaign_id)
    ):
        delivered[cid] = int(n)
    return {
        str(cid): Headline(int(total), int(n_sent), int(delivered.get(cid, 0)))
        for cid, total, n_sent in counts
    }


def names(session: Session, learner_ids: Collection[str | None]) -> dict[str, str]:
    """The roster names of these learners (their id when they have none)."""
    ids = [i for i in set(learner_ids) if i]
    if not ids:
        return {}
    rows = session.execute(select(LearnerRow.id, LearnerRow.name).where(LearnerRow.id.in_(ids)))
    return {lid: name or lid for lid, name in rows}


@dataclass(frozen=True)
class Timeline:
    """Learners sent to in each hour or day (`start` in the deployment's time zone)."""

    unit: Unit
    points: tuple[tuple[datetime, int], ...]


def _bounds(first: datetime, last: datetime, zone: tzinfo) -> tuple[Unit, list[datetime]]:
    """The unit and the bucket starts covering [first, last], plus the end of the last one."""
    local_first, local_last = first.astimezone(zone), last.astimezone(zone)
    if last - first <= HOURLY_SPAN:
        start = local_first.replace(minute=0, second=0, microsecond=0)
        hours = int((last - start) // timedelta(hours=1)) + 1
        return "hour", [start + timedelta(hours=n) for n in range(hours + 1)]
    day = max(local_first.date(), local_last.date() - timedelta(days=MAX_DAYS - 1))
    days = (local_last.date() - day).days + 1
    return "day", [
        datetime.combine(day + timedelta(days=n), time(0), tzinfo=zone) for n in range(days + 1)
    ]


def sends_over_time(
    session: Session, campaign_id: str, zone: tzinfo,
    span: tuple[datetime | None, datetime | None] | None = None,
) -> Timeline:  # fmt: skip
    """Learners a campaign's messages were sent to, per hour (sends within 48 hours) or per
    day (the last `MAX_DAYS` days with sends); empty before anything is sent.

    `span`: the first and last message's times when the caller has them (the campaign's
    report does), else they are read here.
    """
    sent = and_(SendRow.campaign_id == campaign_id, SendRow.status == "sent")
    if span is None:
        read = select(func.min(SendRow.sent_at), func.max(SendRow.sent_at)).where(sent)
        first_sent, last_sent = session.execute(read).one()
        span = (first_sent, last_sent)
    first, last = aware(span[0]), aware(span[1])
    if first is None or last is None:
        return Timeline("hour", ())
    unit, bounds = _bounds(first, last, zone)
    utc = [moment.astimezone(UTC) for moment in bounds]  # SQLite compares stored UTC text
    columns = [
        func.count(case((and_(SendRow.sent_at >= start, SendRow.sent_at < end), 1)))
        for start, end in pairwise(utc)
    ]
    counts = session.execute(select(*columns).where(sent)).one()
    return Timeline(unit, tuple((s, int(n)) for s, n in zip(bounds[:-1], counts, strict=True)))
