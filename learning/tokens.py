"""Admin API tokens: one random secret per supervisor or admin; only its SHA-256 is stored.

A token is shown once, when issued ("kbt_" + 43 URL-safe characters, 256 bits of entropy).
Looking it up by digest needs no constant-time compare: an attacker who does not know the
token cannot steer the digest. Whether its learner may still act (access demoted since) is
the caller's check (`learning.campaigns.actor_for`), made on every request.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import ApiTokenRow
from learning.models import utcnow
from learning.organisations import reaching_learner
from learning.store import Clock

PREFIX = "kbt_"
#: Longer strings are never tokens (ours are 47 characters); they are refused unhashed.
MAX_TOKEN_CHARS = 128


class TokenRefused(ValueError):
    """The learner does not exist, or may not hold an admin API token."""


def digest(token: str) -> str:
    """The SHA-256 hex digest stored for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokens:
    """Issue, resolve and revoke admin API tokens.

    Args:
        sessions: The learner store.
        clock: The current time.
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def issue(self, learner_id: str, label: str | None = None) -> str:
        """A new token for a supervisor (with an organisation) or an admin.

        Raises:
            TokenRefused: when the learner is unknown or reaches no one.
        """
        token = PREFIX + secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            reaching_learner(session, learner_id, "hold an admin API token", TokenRefused)
            session.add(
                ApiTokenRow(
                    digest=digest(token),
                    learner_id=learner_id,
                    label=label[:200] if label else None,
                    created_at=self._clock(),
                )
            )
        return token

    def resolve(self, token: str) -> str | None:
        """The learner id of a valid, unrevoked token; None otherwise."""
        if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_CHARS:
            return None
        query = select(ApiTokenRow.learner_id).where(
            ApiTokenRow.digest == digest(token), ApiTokenRow.revoked_at.is_(None)
        )
        with self._sessions() as session:
            return session.scalar(query)

    def revoke_all(self, learner_id: str) -> int:
        """Revoke every live token of a learner; returns how many were revoked."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.learner_id == learner_id, ApiTokenRow.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            return int(getattr(result, "rowcount", 0) or 0)
