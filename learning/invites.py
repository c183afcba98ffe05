"""One-time invite codes that link a chat account to a roster learner.

A training coordinator runs `karmabot learners invite` and hands each official a code (or a
`t.me/<bot>?start=<code>` link). The first chat account that sends it is linked to that learner;
the code then stops working. A code that is used, expired or unknown links nothing.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.channel_models import InviteRow
from learning.models import ChannelLinkRow, LearnerRow, aware, utcnow
from learning.report import spreadsheet_safe
from learning.store import Clock

#: Characters of invite codes: no 0/O or 1/I/L to misread.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
DEFAULT_TTL = timedelta(days=30)

Outcome = Literal["linked", "already", "used", "expired", "unknown"]


@dataclass(frozen=True)
class Invitation:
    """A code issued for a roster learner, with what a coordinator needs to hand it out."""

    learner_id: str
    name: str
    organisation: str
    phone: str
    code: str


@dataclass(frozen=True)
class Redemption:
    """What redeeming a code did: `linked` (or `already` linked) names the learner."""

    outcome: Outcome
    learner_id: str | None = None


def write_csv(invitations: Iterable[Invitation], out: IO[str], bot: str = "") -> int:
    """The invite list as CSV (formula-safe cells), with t.me links when `bot` is given."""
    writer = csv.writer(out)
    writer.writerow(["name", "organisation", "phone", "code", "link"])
    count = 0
    for invite in invitations:
        link = f"https://t.me/{bot.lstrip('@')}?start={invite.code}" if bot else ""
        cells = (invite.name, invite.organisation, invite.phone, invite.code, link)
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
        count += 1
    return count


def normalise(code: str) -> str:
    """A code as stored: upper case, no spaces or dashes."""
    return code.strip().upper().replace("-", "").replace(" ", "")


class Invites:
    """Issue and redeem invite codes.

    Args:
        sessions: The learner store.
        clock: The current time (injected in tests).
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def issue(self, learner_id: str, ttl: timedelta = DEFAULT_TTL) -> str:
        """A new code for the learner, valid for `ttl`."""
        now = self._clock()
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        with self._sessions.begin() as session:
            session.add(
                InviteRow(code=code, learner_id=learner_id, created_at=now, expires_at=now + ttl)
            )
        return code

    def issue_for_roster(
        self, organisation: str = "", channel: str = "telegram", ttl: timedelta = DEFAULT_TTL
    ) -> list[Invitation]:
        """A code for every roster learner (of `organisation`) not yet linked on `channel`."""
        query = (
            select(LearnerRow)
            .where(LearnerRow.name_confirmed.is_(True))
            .where(~LearnerRow.links.any(ChannelLinkRow.channel == channel))
            .order_by(LearnerRow.name, LearnerRow.id)
        )
        if organisation:
            query = query.where(func.lower(LearnerRow.organisation) == organisation.lower())
        with self._sessions() as session:
            learners = [
                (row.id, row.name or "", row.organisation or "", row.phone or "")
                for row in session.scalars(query)
            ]
        return [Invitation(*learner, self.issue(learner[0], ttl)) for learner in learners]

    def redeem(self, code: str, channel: str, channel_user_id: str) -> Redemption:
        """Link the channel identity to the code's learner, if the code is still good.

        An identity already linked to another learner (one created on first contact, before
        the code was sent) is moved to the roster learner: the roster is the record of who
        an official is.
        """
        now = self._clock()
        with self._sessions.begin() as session:
            invite = session.get(InviteRow, normalise(code), with_for_update=True)
            if invite is None:
                return Redemption("unknown")
            identity = f"{channel}:{channel_user_id}"
            if invite.used_at is not None:
                same = invite.used_by == identity
                return Redemption("already", invite.learner_id) if same else Redemption("used")
            if (aware(invite.expires_at) or now) <= now:
                return Redemption("expired")
            invite.used_at, invite.used_by = now, identity
            link = session.scalars(
                select(ChannelLinkRow).filter_by(channel=channel, channel_user_id=channel_user_id)
            ).one_or_none()
            if link is None:
                session.add(
                    ChannelLinkRow(
                        learner_id=invite.learner_id,
                        channel=channel,
                        channel_user_id=channel_user_id,
                        created_at=now,
                    )
                )
            elif link.learner_id != invite.learner_id:
                session.execute(
                    update(ChannelLinkRow)
                    .where(ChannelLinkRow.id == link.id)
                    .values(learner_id=invite.learner_id)
                )
            return Redemption("linked", invite.learner_id)
