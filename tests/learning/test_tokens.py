"""Admin API tokens on SQLite and PostgreSQL: only supervisors and admins get one, only the
digest is stored, and revoked or unknown tokens resolve to no one."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import ApiTokenRow
from learning.models import aware
from learning.tokens import ApiTokens, TokenRefused
from tests.learning import store
from tests.learning.store import T0, Clock, migrated


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    return migrated(db_url)


def add_learner(
    sessions: sessionmaker[Session], lid: str, access: str, org: str | None = "District A"
) -> None:
    store.add_learner(sessions, lid, access=access, org=org, channel=None, created=T0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(sessions: sessionmaker[Session], clock: Clock) -> ApiTokens:
    add_learner(sessions, "sup", "supervisor")
    add_learner(sessions, "admin", "admin", org=None)
    add_learner(sessions, "plain", "learner")
    add_learner(sessions, "orphan", "supervisor", org=None)
    return ApiTokens(sessions, clock)


def test_a_token_resolves_to_its_learner_and_only_its_digest_is_stored(
    sessions: sessionmaker[Session], tokens: ApiTokens
) -> None:
    token = tokens.issue("sup", label="laptop " + "x" * 300)
    other = tokens.issue("admin")
    assert token.startswith("kbt_") and len(token) == 47 and token != other
    assert tokens.resolve(token) == "sup"
    assert tokens.resolve(other) == "admin"
    with sessions() as session:
        row = session.scalars(select(ApiTokenRow).filter_by(learner_id="sup")).one()
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.digest, row.label)
    assert row.label is not None and len(row.label) == 200
    assert row.revoked_at is None


def test_only_supervisors_with_an_organisation_and_admins_get_tokens(
    sessions: sessionmaker[Session], tokens: ApiTokens
) -> None:
    for learner in ("plain", "orphan", "nobody"):
        with pytest.raises(TokenRefused):
            tokens.issue(learner)
    assert issubclass(TokenRefused, ValueError)
    with sessions() as session:
        assert session.scalars(select(ApiTokenRow)).all() == []


@pytest.mark.parametrize(
    "guess",
    ["", "kbt_", "kbt_not-a-token", "not-prefixed", "kbt_" + "a" * 500],
)
def test_unknown_tokens_resolve_to_no_one(tokens: ApiTokens, guess: str) -> None:
    token = tokens.issue("sup")
    assert tokens.resolve(guess) is None
    assert tokens.resolve(token[:-1]) is None  # one character short is another token
    assert tokens.resolve(token.upper()) is None


def test_revoking_ends_every_live_token_of_one_learner(
    sessions: sessionmaker[Session], tokens: ApiTokens, clock: Clock
) -> None:
    first, second = tokens.issue("sup"), tokens.issue("sup")
    kept = tokens.issue("admin")
    clock.now = T0 + timedelta(hours=1)
    assert tokens.revoke_all("sup") == 2
    assert tokens.resolve(first) is None and tokens.resolve(second) is None
    assert tokens.resolve(kept) == "admin"
    assert tokens.revoke_all("sup") == 0  # already revoked: nothing more to do
    with sessions() as session:
        rows = session.scalars(select(ApiTokenRow).filter_by(learner_id="sup")).all()
    assert [aware(r.revoked_at) for r in rows] == [clock.now, clock.now]
    fresh = tokens.issue("sup")  # a new token works after a revocation
    assert tokens.resolve(fresh) == "sup"
