"""Dashboard sign-in on SQLite and PostgreSQL: one-time links for supervisors and admins only,
stored as digests; sessions that expire, end at sign-out, and end for good when the learner is
demoted; and a link raced by several browsers signs in exactly one."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.dashboard_access import DashboardAccess, SignInRefused
from learning.dashboard_models import DashboardLinkRow, DashboardSessionRow
from learning.models import LearnerRow
from learning.organisations import Reach, ensure
from tests.learning.store import T0, Clock, add_learner, migrated

LINK, SESSION = timedelta(hours=24), timedelta(hours=12)


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    sessions = migrated(db_url)
    with sessions.begin() as session:
        ensure(session, "District A", "State")
        ensure(session, "District B", "State")
    add_learner(sessions, "sup", access="supervisor")
    add_learner(sessions, "root", org=None, access="admin")
    add_learner(sessions, "plain")
    add_learner(sessions, "orphan", org=None, access="supervisor")
    return sessions


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def access(sessions: sessionmaker[Session], clock: Clock) -> DashboardAccess:
    return DashboardAccess(sessions, clock, link_ttl=LINK, session_ttl=SESSION)


def set_learner(sessions: sessionmaker[Session], lid: str, **values: object) -> None:
    with sessions.begin() as session:
        session.execute(update(LearnerRow).filter_by(id=lid).values(**values))


def test_a_link_signs_its_supervisor_in_once_and_only_digests_are_stored(
    sessions: sessionmaker[Session], access: DashboardAccess
) -> None:
    token = access.invite("sup")
    assert len(token) >= 43 and token != access.invite("sup")
    assert access.link_state(token) == "valid"
    assert access.link_state(token) == "valid"  # looking does not use it (mail scanners)
    state, session_id = access.redeem(token)
    assert state == "valid" and session_id
    actor = access.actor(session_id)
    assert actor is not None and actor.learner_id == "sup"
    assert actor.reach == Reach(root="District A") and actor.label == "dashboard:sup"
    assert access.redeem(token) == ("used", None)
    assert access.link_state(token) == "used"
    with sessions() as session:
        stored = {r.digest for r in session.scalars(select(DashboardLinkRow))}
        stored |= {r.digest for r in session.scalars(select(DashboardSessionRow))}
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert hashlib.sha256(session_id.encode()).hexdigest() in stored
    assert token not in stored and session_id not in stored


def test_an_admin_signs_in_to_see_everyone(access: DashboardAccess) -> None:
    _, session_id = access.redeem(access.invite("root"))
    actor = access.actor(session_id or "")
    assert actor is not None and actor.is_admin


@pytest.mark.parametrize("learner", ["plain", "orphan", "nobody"])
def test_only_supervisors_with_an_organisation_and_admins_get_links(
    sessions: sessionmaker[Session], access: DashboardAccess, learner: str
) -> None:
    with pytest.raises(SignInRefused, match=r"nobody|only admins"):
        access.invite(learner)
    with sessions() as session:
        assert session.scalars(select(DashboardLinkRow)).all() == []


def test_a_link_expires(access: DashboardAccess, clock: Clock) -> None:
    token, later = access.invite("sup"), access.invite("sup")
    clock.now = T0 + LINK - timedelta(seconds=1)
    assert access.link_state(later) == "valid"
    clock.now = T0 + LINK
    assert access.link_state(token) == "expired"
    assert access.redeem(token) == ("expired", None)


@pytest.mark.parametrize("guess", ["", "x", "A" * 43, "é" * 20, "a" * 5000])
def test_unknown_links_and_sessions_resolve_to_nothing(access: DashboardAccess, guess: str) -> None:
    access.redeem(access.invite("sup"))
    assert access.link_state(guess) == "unknown"
    assert access.redeem(guess) == ("unknown", None)
    assert access.actor(guess) is None


def test_a_session_expires_on_the_server(access: DashboardAccess, clock: Clock) -> None:
    _, session_id = access.redeem(access.invite("sup"))
    clock.now = T0 + SESSION - timedelta(seconds=1)
    assert access.actor(session_id or "") is not None
    clock.now = T0 + SESSION
    assert access.actor(session_id or "") is None


def test_a_demoted_supervisor_is_signed_out_for_good_and_a_moved_one_follows_the_roster(
    sessions: sessionmaker[Session], access: DashboardAccess
) -> None:
    _, kept = access.redeem(access.invite("sup"))
    set_learner(sessions, "sup", organisation="District B")
    actor = access.actor(kept or "")
    assert actor is not None and actor.reach == Reach(root="District B")
    set_learner(sessions, "sup", access="learner")
    assert access.actor(kept or "") is None
    set_learner(sessions, "sup", access="supervisor")  # promoted again: the old session stays dead
    assert access.actor(kept or "") is None


def test_a_link_of_someone_demoted_since_it_was_sent_signs_no_one_in(
    sessions: sessionmaker[Session], access: DashboardAccess
) -> None:
    token = access.invite("sup")
    set_learner(sessions, "sup", access="learner")
    assert access.link_state(token) == "refused"
    assert access.redeem(token) == ("refused", None)
    with sessions() as session:
        assert session.scalars(select(DashboardSessionRow)).all() == []


def test_signing_out_ends_one_session_and_everywhere_ends_all(
    access: DashboardAccess,
) -> None:
    _, first = access.redeem(access.invite("sup"))
    _, second = access.redeem(access.invite("sup"))
    _, other = access.redeem(access.invite("root"))
    unused = access.invite("sup")
    assert access.sign_out(first or "") is True
    assert access.sign_out(first or "") is False
    assert access.actor(first or "") is None and access.actor(second or "") is not None
    assert access.sign_out_everywhere("sup") == (1, 1)
    assert access.actor(second or "") is None and access.link_state(unused) == "used"
    assert access.actor(other or "") is not None


def test_browsers_racing_with_one_link_get_one_session(
    sessions: sessionmaker[Session], access: DashboardAccess
) -> None:
    token = access.invite("sup")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: access.redeem(token), range(8)))
    winners = [session_id for state, session_id in results if session_id]
    assert len(winners) == 1
    assert sorted(state for state, _ in results) == ["used"] * 7 + ["valid"]
    with sessions() as session:
        assert len(session.scalars(select(DashboardSessionRow)).all()) == 1
