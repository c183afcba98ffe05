"""Outbound messages and what the channel reported about them: sent, delivered, read, failed.

Every message a channel accepts is recorded with the channel's own message id; status
callbacks (WhatsApp's `statuses`) are recorded against it, whatever order they arrive in, so
campaign reports can count what was delivered and read, and permanent failures (an invalid
number, a learner who blocked the bot) are never retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.channel_models import OutboundMessageRow
from learning.models import aware, utcnow
from learning.store import Clock, insert_once

Status = Literal["sent", "delivered", "read", "failed"]
STATUSES: tuple[Status, ...] = ("sent", "delivered", "read", "failed")


@dataclass(frozen=True)
class Delivery:
    """One outbound message and its reported statuses."""

    channel: str
    message_id: str
    learner_id: str | None
    kind: str
    campaign_id: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    error_code: str | None
    error: str | None
    permanent: bool

    @property
    def status(self) -> Status:
        """The furthest status reached (a failure wins)."""
        if self.failed_at:
            return "failed"
        if self.read_at:
            return "read"
        return "delivered" if self.delivered_at else "sent"


def _delivery(row: OutboundMessageRow) -> Delivery:
    return Delivery(
        row.channel, row.message_id, row.learner_id, row.kind, row.campaign_id,
        aware(row.sent_at), aware(row.delivered_at), aware(row.read_at), aware(row.failed_at),
        row.error_code, row.error, row.permanent,
    )  # fmt: skip


class Deliveries:
    """The outbound message log.

    Args:
        sessions: The learner store.
        clock: The current time (injected in tests).
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def record_sent(
        self,
        channel: str,
        message_id: str,
        learner_id: str | None,
        kind: str = "reply",
        campaign_id: str | None = None,
    ) -> None:
        """Record a message the channel accepted (once per channel message id)."""
        now = self._clock()
        with self._sessions.begin() as session:
            values = {
                "channel": channel, "message_id": message_id, "learner_id": learner_id,
                "kind": kind, "campaign_id": campaign_id, "created_at": now, "sent_at": now,
                "permanent": False,
            }  # fmt: skip
            if not insert_once(session, OutboundMessageRow, values):
                # A status callback got here first: fill in what only the sender knows.
                session.execute(
                    update(OutboundMessageRow)
                    .filter_by(channel=channel, message_id=message_id)
                    .values(learner_id=learner_id, kind=kind, campaign_id=campaign_id)
                )

    def record_status(
        self,
        channel: str,
        message_id: str,
        status: Status,
        at: datetime,
        *,
        error_code: str | None = None,
        error: str | None = None,
        permanent: bool = False,
    ) -> None:
        """Record a status the channel reported; unknown messages get a row of their own."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._sessions.begin() as session:
            insert_once(
                session,
                OutboundMessageRow,
                {"channel": channel, "message_id": message_id, "learner_id": None,
                 "kind": "unknown", "created_at": at, "permanent": False},
            )  # fmt: skip
            values: dict[str, object] = {f"{status}_at": at}
            if status == "failed":
                values |= {"error_code": error_code, "error": error, "permanent": permanent}
            session.execute(
                update(OutboundMessageRow)
                .filter_by(channel=channel, message_id=message_id)
                .values(**values)
            )

    def get(self, channel: str, message_id: str) -> Delivery | None:
        """The message with that channel id, if recorded."""
        with self._sessions() as session:
            row = session.scalars(
                select(OutboundMessageRow).filter_by(channel=channel, message_id=message_id)
            ).one_or_none()
            return _delivery(row) if row else None

    def undeliverable(self, channel: str, learner_id: str, since: datetime | None = None) -> bool:
        """Whether the channel refused this learner for good (after `since`, e.g. the learner's
        last message: writing again shows the number works), so nothing should be sent."""
        query = select(OutboundMessageRow.id).filter_by(
            channel=channel, learner_id=learner_id, permanent=True
        )
        if since is not None:
            query = query.where(OutboundMessageRow.failed_at >= since)
        with self._sessions() as session:
            return session.scalar(query.limit(1)) is not None
