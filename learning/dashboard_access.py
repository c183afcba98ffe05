"""Who is signed in to the supervisor dashboard: one-time sign-in links and sessions.

The operator runs `karmabot supervisors invite WHO` and hands the supervisor a link that works
once, for a limited time. Opening it (and pressing the button on its page) turns it into a
session. Links and sessions are random values of 256 bits; only their SHA-256 is stored (as
admin API tokens are, learning/tokens.py), so a copy of the database signs no one in.

A session names a learner, never a reach: every request reads the learner's access and
organisation again (`actor`), so a supervisor demoted or moved in the roster sees the change at
their next click, and a demoted one's sessions end for good.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.campaigns import Actor
from learning.dashboard_models import DashboardLinkRow, DashboardSessionRow
from learning.models import LearnerRow, aware, utcnow
from learning.organisations import reach_of, reaching_learner
from learning.store import Clock
from learning.tokens import MAX_TOKEN_CHARS, digest

DEFAULT_LINK_TTL = timedelta(hours=24)
DEFAULT_SESSION_TTL = timedelta(hours=12)

LinkState = Literal["valid", "used", "expired", "unknown", "refused"]


class SignInRefused(ValueError):
    """The learner does not exist, or may not sign in to the dashboard."""


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class DashboardAccess:
    """Issue sign-in links, turn them into sessions, and resolve sessions to actors.

    Args:
        sessions: The learner store.
        clock: The current time.
        link_ttl: How long a sign-in link works (once).
        session_ttl: How long a session lasts before the supervisor signs in again.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock = utcnow,
        link_ttl: timedelta = DEFAULT_LINK_TTL,
        session_ttl: timedelta = DEFAULT_SESSION_TTL,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.link_ttl = link_ttl
        self.session_ttl = session_ttl

    def invite(self, learner_id: str) -> str:
        """A new one-time sign-in token for a supervisor (with an organisation) or an admin.

        Raises:
            SignInRefused: when the learner is unknown or reaches no one.
        """
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions.begin() as session:
            reaching_learner(session, learner_id, "sign in to the dashboard", SignInRefused)
            session.add(
                DashboardLinkRow(
                    digest=digest(token), learner_id=learner_id, created_at=now,
                    expires_at=now + self.link_ttl,
                )
            )  # fmt: skip
        return token

    def link_state(self, token: str) -> LinkState:
        """What opening a link would do, without using it (mail scanners fetch links too)."""
        if len(token) > MAX_TOKEN_CHARS:
            return "unknown"
        now = self._clock()
        with self._sessions() as session:
            link = session.scalars(
                select(DashboardLinkRow).filter_by(digest=digest(token))
            ).one_or_none()
            if link is None:
                return "unknown"
            if link.used_at is not None:
                return "used"
            expires = aware(link.expires_at)
            if expires is None or expires <= now:
                return "expired"
            learner = session.get(LearnerRow, link.learner_id)
            if learner is None or reach_of(learner.access, learner.organisation).nobody:
                return "refused"
            return "valid"

    def redeem(self, token: str) -> tuple[LinkState, str | None]:
        """Use a link: ("valid", new session id) once; its state and None otherwise.

        The link is marked used by a conditional update, so of two browsers racing with the
        same link exactly one gets a session, on SQLite and on PostgreSQL.
        """
        state = self.link_state(token)
        if state != "valid":
            return state, None
        now = self._clock()
        session_id = secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            result = session.execute(
                update(DashboardLinkRow)
                .where(
                    DashboardLinkRow.digest == digest(token),
                    DashboardLinkRow.used_at.is_(None),
                    DashboardLinkRow.expires_at > now,
                )
                .values(used_at=now)
                .returning(DashboardLinkRow.learner_id)
            )
            learner_id = result.scalar_one_or_none()
            if learner_id is None:
                return "used", None
            session.add(
                DashboardSessionRow(
                    digest=digest(session_id), learner_id=learner_id, created_at=now,
                    expires_at=now + self.session_ttl,
                )
            )  # fmt: skip
        return "valid", session_id

    def actor(self, session_id: str) -> Actor | None:
        """The signed-in actor of a live session, with their reach as the roster says now.

        A session whose learner no longer reaches anyone (demoted, or left without an
        organisation) is ended here, so promoting them again later does not revive it.
        """
        if len(session_id) > MAX_TOKEN_CHARS:
            return None
        now = self._clock()
        query = (
            select(LearnerRow.id, LearnerRow.access, LearnerRow.organisation)
            .join(DashboardSessionRow, DashboardSessionRow.learner_id == LearnerRow.id)
            .where(
                DashboardSessionRow.digest == digest(session_id),
                DashboardSessionRow.revoked_at.is_(None),
                DashboardSessionRow.expires_at > now,
            )
        )
        with self._sessions() as session:
            row = session.execute(query).one_or_none()
        if row is None:
            return None
        reach = reach_of(row.access, row.organisation)
        if reach.nobody:
            self.sign_out(session_id)
            return None
        return Actor(f"dashboard:{row.id}", reach, row.id)

    def sign_out(self, session_id: str) -> bool:
        """End one session; False when it was not live."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(DashboardSessionRow)
                .where(
                    DashboardSessionRow.digest == digest(session_id[:MAX_TOKEN_CHARS]),
                    DashboardSessionRow.revoked_at.is_(None),
                )
                .values(revoked_at=self._clock())
            )
            return _rowcount(result) > 0

    def sign_out_everywhere(self, learner_id: str) -> tuple[int, int]:
        """End every session of a learner and void their unused links: (sessions, links)."""
        now = self._clock()
        ended = []
        with self._sessions.begin() as session:
            for table, end in ((DashboardSessionRow, DashboardSessionRow.revoked_at),
                               (DashboardLinkRow, DashboardLinkRow.used_at)):  # fmt: skip
                live = (table.learner_id == learner_id, end.is_(None), table.expires_at > now)
                result = session.execute(update(table).where(*live).values({end: now}))
                ended.append(_rowcount(result))
        return ended[0], ended[1]
