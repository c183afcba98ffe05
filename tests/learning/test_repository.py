"""The learner repository contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from learning.db import make_engine, session_factory, upgrade
from learning.repository import (
    ChannelTaken,
    InMemoryLearnerRepository,
    LearnerNotFound,
    LearnerRepository,
    SqlLearnerRepository,
)
from tests.learning.conftest import fresh_database


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> LearnerRepository:
    if request.param == "memory":
        return InMemoryLearnerRepository()
    url = fresh_database(request.param, request, tmp_path)
    engine = make_engine(url)
    upgrade(url, engine)
    request.addfinalizer(engine.dispose)
    return SqlLearnerRepository(session_factory(engine))


def test_first_contact_creates_a_learner_with_defaults(repo: LearnerRepository) -> None:
    learner = repo.get_or_create("telegram", "1001", name="Asha")
    assert (learner.name, learner.language, learner.script) == ("Asha", "en", "native")
    assert not learner.language_chosen and learner.reminders_enabled
    assert learner.created_at.tzinfo is not None
    assert repo.get(learner.id) == learner
    assert repo.get_by_channel("telegram", "1001") == learner


def test_a_dialogue_sender_is_a_learner_id_or_a_direct_channel_user(
    repo: LearnerRepository,
) -> None:
    """`get_for_sender`: the gateway's senders are learner ids, Rasa's own REST senders are
    users of the "rest" channel; an id wins over a link that happens to spell the same."""
    gateway = repo.get_or_create("telegram", "55", name="Asha")
    direct = repo.get_or_create("rest", "client-9")
    assert repo.get_for_sender(gateway.id, "rest") == gateway
    assert repo.get_for_sender("client-9", "rest") == direct
    assert repo.get_for_sender("client-9", "telegram") is None  # linked on another channel
    assert repo.get_for_sender("nobody", "rest") is None
    spoofed = repo.get_or_create("rest", gateway.id)  # a REST user named like a learner id
    assert spoofed.id != gateway.id
    assert repo.get_for_sender(gateway.id, "rest") == gateway


def test_the_same_channel_user_is_never_duplicated(repo: LearnerRepository) -> None:
    first = repo.get_or_create("web", "u1")
    again = repo.get_or_create("web", "u1", name="ignored")
    other_channel = repo.get_or_create("telegram", "u1")
    assert again.id == first.id and other_channel.id != first.id
    assert repo.count() == 2


def test_concurrent_first_contacts_make_one_learner(repo: LearnerRepository) -> None:
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: repo.get_or_create("whatsapp", "9199").id, range(16)))
    assert len(ids) == 1
    assert repo.count() == 1


def test_on_postgresql_first_contact_is_one_statement_without_a_transaction(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The learner and their link go in one INSERT (a data-modifying CTE) sent in autocommit:
    no BEGIN or COMMIT round trips; the row and the link are both there afterwards."""
    url = fresh_database("postgresql", request, tmp_path)
    engine = make_engine(url)
    upgrade(url, engine)
    request.addfinalizer(engine.dispose)
    repo = SqlLearnerRepository(session_factory(engine))
    inserts: list[tuple[str, object]] = []

    def record(_: object, cursor: object, statement: str, *args: object) -> None:
        if "INSERT" in statement.upper():
            autocommit = getattr(getattr(cursor, "connection", None), "autocommit", None)
            inserts.append((" ".join(statement.split()), autocommit))

    sa.event.listen(engine, "before_cursor_execute", record)
    learner = repo.get_or_create("telegram", "77", name="Ravi")
    sa.event.remove(engine, "before_cursor_execute", record)
    assert len(inserts) == 1 and inserts[0][1] is True
    assert inserts[0][0].startswith("WITH new_learner AS (INSERT INTO learners")
    assert repo.get_by_channel("telegram", "77") == learner == repo.get(learner.id)
    assert repo.count() == 1
    with engine.connect() as conn:  # column defaults filled in, inside the CTE too
        row = conn.execute(sa.text("SELECT * FROM learners")).one()
        link = conn.execute(sa.text("SELECT * FROM channel_links")).one()
    assert (row.name_confirmed, row.access, row.updated_at) == (False, "learner", row.created_at)
    assert link.created_at == row.created_at and link.learner_id == learner.id


def test_language_and_reminders_are_saved(repo: LearnerRepository) -> None:
    learner = repo.get_or_create("web", "u2")
    repo.set_language(learner.id, "hi", "latin")
    repo.set_reminders(learner.id, False)
    stored = repo.get(learner.id)
    assert stored is not None
    assert (stored.language, stored.script, stored.language_chosen) == ("hi", "latin", True)
    assert stored.reminders_enabled is False


def test_a_confirmed_name_is_stored_normalized(repo: LearnerRepository) -> None:
    learner = repo.get_or_create("telegram", "1002", name="asha")
    assert learner.name_confirmed is False  # a channel profile name is only a suggestion
    # Decomposed "é" (e + combining acute) is stored composed; spaces are tidied.
    confirmed = repo.confirm_name(learner.id, "  Asha   Re\u0301gis ")
    assert (confirmed.name, confirmed.name_confirmed) == ("Asha R\u00e9gis", True)
    assert repo.get(learner.id) == confirmed
    with pytest.raises(ValueError):
        repo.confirm_name(learner.id, "   ")
    with pytest.raises(LearnerNotFound):
        repo.confirm_name("no-such-id", "Asha")


def test_linking_a_second_channel_reaches_the_same_learner(repo: LearnerRepository) -> None:
    learner = repo.get_or_create("web", "u3")
    repo.link_channel(learner.id, "telegram", "555")
    repo.link_channel(learner.id, "telegram", "555")  # idempotent
    linked = repo.get_by_channel("telegram", "555")
    assert linked is not None and linked.id == learner.id
    other = repo.get_or_create("web", "u4")
    with pytest.raises(ChannelTaken):
        repo.link_channel(other.id, "telegram", "555")


def test_unknown_learners_are_reported(repo: LearnerRepository) -> None:
    assert repo.get("no-such-id") is None
    with pytest.raises(LearnerNotFound):
        repo.set_language("no-such-id", "hi")
    with pytest.raises(LearnerNotFound):
        repo.link_channel("no-such-id", "web", "x")


def test_choices_survive_a_new_repository_instance(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    learner = SqlLearnerRepository(session_factory(engine)).get_or_create("web", "u5")
    SqlLearnerRepository(session_factory(engine)).set_language(learner.id, "ta")
    engine.dispose()
    fresh = make_engine(db_url)
    stored = SqlLearnerRepository(session_factory(fresh)).get(learner.id)
    fresh.dispose()
    assert stored is not None and stored.language == "ta"
