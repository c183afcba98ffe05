"""Inbound deliveries: each one is handled once, and each link remembers its last message.

Channels retry webhooks, and a restarted poller may see an update again; `first_delivery`
answers True exactly once per (channel, delivery id), across processes. `touch` records when a
learner last wrote on a channel: WhatsApp's 24-hour customer-service window starts there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.channel_models import ProcessedUpdateRow
from learning.models import ChannelLinkRow, aware, utcnow
from learning.store import Clock, insert_once


class Inbox:
    """Deliveries seen, per channel, and the time of each link's last inbound message.

    Args:
        sessions: The learner store.
        clock: The current time (injected in tests).
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def first_delivery(self, channel: str, delivery_id: str) -> bool:
        """True the first time this delivery id is seen on this channel, False ever after."""
        with self._sessions.begin() as session:
            values = {"channel": channel, "update_id": delivery_id, "received_at": self._clock()}
            return insert_once(session, ProcessedUpdateRow, values)

    def arrive(
        self, channel: str, delivery_id: str, channel_user_id: str, at: datetime | None = None
    ) -> bool:
        """`first_delivery` and `touch` in one transaction: True (and touched) the first time."""
        moment = at or self._clock()
        with self._sessions.begin() as session:
            values = {"channel": channel, "update_id": delivery_id, "received_at": self._clock()}
            if not insert_once(session, ProcessedUpdateRow, values):
                return False
            self._touch(session, channel, channel_user_id, moment)
            return True

    def touch(self, channel: str, channel_user_id: str, at: datetime | None = None) -> None:
        """Remember that this channel user wrote at `at` (now by default).

        The time only moves forward, so a late, retried webhook cannot shorten the window;
        an unknown identity changes nothing.
        """
        with self._sessions.begin() as session:
            self._touch(session, channel, channel_user_id, at or self._clock())

    @staticmethod
    def _touch(session: Session, channel: str, channel_user_id: str, moment: datetime) -> None:
        session.execute(
            update(ChannelLinkRow)
            .filter_by(channel=channel, channel_user_id=channel_user_id)
            .where(
                (ChannelLinkRow.last_inbound_at.is_(None))
                | (ChannelLinkRow.last_inbound_at < moment)
            )
            .values(last_inbound_at=moment)
        )

    def last_inbound(self, channel: str, channel_user_id: str) -> datetime | None:
        """When this channel user last wrote, if ever."""
        with self._sessions() as session:
            return aware(
                session.scalar(
                    select(ChannelLinkRow.last_inbound_at).filter_by(
                        channel=channel, channel_user_id=channel_user_id
                    )
                )
            )

    def forget_before(self, moment: datetime) -> int:
        """Drop delivery ids older than `moment` (channels stop retrying after a day or so)."""
        with self._sessions.begin() as session:
            result = session.execute(
                delete(ProcessedUpdateRow).where(ProcessedUpdateRow.received_at < moment)
            )
            return int(getattr(result, "rowcount", 0) or 0)
