"""Inbound deliveries: each one is handled once, and each link remembers its last message.

Channels retry webhooks, and a restarted poller may see an update again; `first_delivery`
answers True exactly once per (channel, delivery id), across processes. `touch` records when a
learner last wrote on a channel: WhatsApp's 24-hour customer-service window starts there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.channel_models import ProcessedUpdateRow
from learning.models import ChannelLinkRow, aware, utcnow
from learning.store import Clock, skip_duplicates

# Built once: these run on every inbound message, where building and caching a statement
# per call cost more than the write itself (Core statements, no ORM session sync).
_LINKS = ChannelLinkRow.__table__.c
_TOUCH = (
    update(ChannelLinkRow.__table__)  # type: ignore[arg-type]
    .where(
        _LINKS.channel == bindparam("b_channel"),
        _LINKS.channel_user_id == bindparam("b_user"),
        or_(_LINKS.last_inbound_at.is_(None), _LINKS.last_inbound_at < bindparam("moment")),
    )
    .values(last_inbound_at=bindparam("moment"))
)


def _seen_first(connection: Connection, channel: str, delivery_id: str, at: datetime) -> bool:
    values = {"channel": channel, "update_id": delivery_id, "received_at": at}
    first = skip_duplicates(ProcessedUpdateRow, connection.dialect.name, returning=True)
    return connection.execute(first, values).first() is not None


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
            return _seen_first(session.connection(), channel, delivery_id, self._clock())

    def arrive(
        self, channel: str, delivery_id: str, channel_user_id: str, at: datetime | None = None
    ) -> bool:
        """`first_delivery` and `touch` in one transaction: True (and touched) the first time."""
        moment = at or self._clock()
        with self._sessions.begin() as session:
            connection = session.connection()
            if not _seen_first(connection, channel, delivery_id, self._clock()):
                return False
            self._touch(connection, channel, channel_user_id, moment)
            return True

    def touch(self, channel: str, channel_user_id: str, at: datetime | None = None) -> None:
        """Remember that this channel user wrote at `at` (now by default).

        The time only moves forward, so a late, retried webhook cannot shorten the window;
        an unknown identity changes nothing.
        """
        with self._sessions.begin() as session:
            self._touch(session.connection(), channel, channel_user_id, at or self._clock())

    @staticmethod
    def _touch(connection: Connection, channel: str, user: str, moment: datetime) -> None:
        connection.execute(_TOUCH, {"b_channel": channel, "b_user": user, "moment": moment})

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
