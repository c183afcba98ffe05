"""Fresh learner stores for the benchmark, filled fast with synthetic learners.

PostgreSQL: a database of its own on 127.0.0.1:5432 (`karmabot_bench_<random>`), filled with
`INSERT … SELECT … generate_series` and dropped afterwards. SQLite: a data directory of its own
(`<dir>/karmabot.db`, where a worker process looks for it), filled with `executemany`.

Learner number g (1…n) has id `L<g, 9 digits>` and, when linked to Telegram, chat id
1,000,000,000 + g, so a chat id the fake Telegram API received maps back to its learner.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text

from learning.db import Sessions, make_engine, session_factory, upgrade
from learning.models import ChannelLinkRow, EnrollmentRow, LearnerRow
from learning.organisations import import_tree

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHAT_BASE = 1_000_000_000
COURSE, OTHER_COURSE = "rti-for-officials", "cyber-hygiene"
ROOT = "Government of India"
MINISTRIES, DEPARTMENTS, DISTRICTS = 4, 5, 5


def learner_id(g: int) -> str:
    """The id of synthetic learner number `g`."""
    return f"L{g:09d}"


def number_of(chat_id: int) -> int:
    """The learner number behind a Telegram chat id."""
    return chat_id - CHAT_BASE


def organisation_tree() -> list[tuple[str, str | None]]:
    """(name, parent) pairs: one root, 4 ministries, 5 departments each, 5 districts each."""
    pairs: list[tuple[str, str | None]] = [(ROOT, None)]
    for m in range(1, MINISTRIES + 1):
        ministry = f"Ministry {m}"
        pairs.append((ministry, ROOT))
        for d in range(1, DEPARTMENTS + 1):
            department = f"{ministry} / Department {d}"
            pairs.append((department, ministry))
            pairs += [(f"{department} / District {k}", department) for k in range(1, DISTRICTS + 1)]
    return pairs


def leaves() -> list[str]:
    """The districts learners are spread over (100 of them)."""
    return [name for name, _ in organisation_tree() if "District" in name]


@dataclass
class Store:
    """A learner store made for one measurement."""

    kind: str  # "postgresql" or "sqlite"
    url: str
    data_dir: Path
    engine: Engine
    sessions: Sessions

    def env(self) -> dict[str, str]:
        """What a worker process needs to use this store."""
        env = {"KARMABOT_DATA_DIR": str(self.data_dir)}
        return env | ({"DATABASE_URL": self.url} if self.kind == "postgresql" else {})

    def clear_sends(self) -> None:
        """Empty the `sends` table (between timed runs; not timed)."""
        with self.engine.begin() as connection:
            if self.kind == "postgresql":
                connection.execute(text("TRUNCATE sends"))
            else:
                connection.execute(text("DELETE FROM sends"))

    def backend_pids(self) -> list[int]:
        """PostgreSQL server processes connected to this database (none for SQLite)."""
        if self.kind != "postgresql":
            return []
        query = text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as connection:
            return [int(pid) for pid in connection.scalars(query)]


@contextmanager
def fresh(kind: str, parent: Path) -> Iterator[Store]:
    """A new, migrated, empty store; removed (database dropped) on exit."""
    data_dir = parent / f"{kind}-{uuid.uuid4().hex[:8]}"
    data_dir.mkdir(parents=True)
    admin: Engine | None = None
    name = f"karmabot_bench_{uuid.uuid4().hex[:10]}"
    if kind == "postgresql":
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite:///{data_dir / 'karmabot.db'}"
    engine = make_engine(url)
    try:
        upgrade(url, engine)
        yield Store(kind, url, data_dir, engine, session_factory(engine))
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


# -- filling ---------------------------------------------------------------------------------
#
# "mixed" (planning): 70 % Telegram, 30 % WhatsApp (10 % both), 10 % no reachable channel;
# 5 % opted out; 40 % enrolled in COURSE (a third of them completed it), 40 % in OTHER_COURSE
# (half completed). "delivery": everyone on Telegram, nobody opted out, no enrollments.

_PG_LEARNERS = """
INSERT INTO learners (id, name, name_confirmed, language, script, language_chosen,
    reminders_enabled, organisation, role, access, created_at, updated_at)
SELECT 'L' || lpad(g::text, 9, '0'), 'Learner ' || g, true,
    (ARRAY['en', 'hi', 'ta', 'bn'])[1 + g % 4], 'native', true, {enabled},
    (CAST(:orgs AS text[]))[1 + g % :n_orgs], 'Section Officer', 'learner', :now, :now
FROM generate_series(1, :n) AS g
"""
_PG_LINKS = """
INSERT INTO channel_links (learner_id, channel, channel_user_id, created_at)
SELECT 'L' || lpad(g::text, 9, '0'), :channel, (:base + g)::text, :now
FROM generate_series(1, :n) AS g WHERE {where}
"""
_PG_ENROLLMENTS = """
INSERT INTO enrollments (id, learner_id, course_id, course_version, part, enrolled_at,
    completed_at, updated_at)
SELECT 'E' || g || '-' || :course, 'L' || lpad(g::text, 9, '0'), :course, 1, 0, :now,
    CASE WHEN {done} THEN CAST(:now AS timestamptz) END, :now
FROM generate_series(1, :n) AS g WHERE {where}
"""


def _telegram(g: int, mixed: bool) -> bool:
    return not mixed or g % 10 < 7


def _whatsapp(g: int, mixed: bool) -> bool:
    return mixed and g % 10 in (0, 7, 8)


def fill(store: Store, n: int, *, mixed: bool) -> None:
    """Add learners 1…n (the organisation tree first), then ANALYZE on PostgreSQL."""
    with store.sessions.begin() as session:
        import_tree(session, organisation_tree())
    orgs = leaves() if mixed else [ROOT]
    if store.kind == "postgresql":
        _fill_postgres(store, n, orgs, mixed)
    else:
        _fill_sqlite(store, n, orgs, mixed)


def _fill_postgres(store: Store, n: int, orgs: list[str], mixed: bool) -> None:
    now = datetime.now(UTC)
    common = {"n": n, "now": now}
    with store.engine.begin() as c:
        enabled = "g % 20 <> 7" if mixed else "true"
        sql = _PG_LEARNERS.format(enabled=enabled)
        c.execute(text(sql), common | {"orgs": orgs, "n_orgs": len(orgs)})
        telegram = "g % 10 < 7" if mixed else "true"
        tg = {"channel": "telegram", "base": CHAT_BASE}
        c.execute(text(_PG_LINKS.format(where=telegram)), common | tg)
        if mixed:
            wa = {"channel": "whatsapp", "base": 919_000_000_000}
            c.execute(text(_PG_LINKS.format(where="g % 10 IN (0, 7, 8)")), common | wa)
            for course, where, done in (
                (COURSE, "g % 5 < 2", "g % 3 = 0"),
                (OTHER_COURSE, "g % 5 IN (2, 3)", "g % 2 = 0"),
            ):
                sql = _PG_ENROLLMENTS.format(where=where, done=done)
                c.execute(text(sql), common | {"course": course})
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE"))


def _fill_sqlite(store: Store, n: int, orgs: list[str], mixed: bool, chunk: int = 20_000) -> None:
    now = datetime.now(UTC)
    languages = ("en", "hi", "ta", "bn")
    for start in range(1, n + 1, chunk):
        numbers = range(start, min(n, start + chunk - 1) + 1)
        learners = [
            {"id": learner_id(g), "name": f"Learner {g}", "name_confirmed": True,
             "language": languages[g % 4], "script": "native", "language_chosen": True,
             "reminders_enabled": not mixed or g % 20 != 7,
             "organisation": orgs[g % len(orgs)], "role": "Section Officer",
             "access": "learner", "created_at": now, "updated_at": now}
            for g in numbers
        ]  # fmt: skip
        links = [
            {"learner_id": learner_id(g), "channel": "telegram",
             "channel_user_id": str(CHAT_BASE + g), "created_at": now}
            for g in numbers if _telegram(g, mixed)
        ] + [
            {"learner_id": learner_id(g), "channel": "whatsapp",
             "channel_user_id": str(919_000_000_000 + g), "created_at": now}
            for g in numbers if _whatsapp(g, mixed)
        ]  # fmt: skip
        enrollments = [
            {"id": f"E{g}-{course}", "learner_id": learner_id(g), "course_id": course,
             "course_version": 1, "part": 0, "enrolled_at": now, "updated_at": now,
             "completed_at": now if done else None}
            for g in numbers if mixed
            for course, on, done in (
                (COURSE, g % 5 < 2, g % 3 == 0), (OTHER_COURSE, g % 5 in (2, 3), g % 2 == 0)
            )
            if on
        ]  # fmt: skip
        with store.engine.begin() as c:
            c.execute(insert(LearnerRow), learners)
            c.execute(insert(ChannelLinkRow), links)
            if enrollments:
                c.execute(insert(EnrollmentRow), enrollments)


def send_statuses(store: Store, campaign_id: str) -> dict[int, str]:
    """Learner number → status of its send in a campaign."""
    with store.sessions() as session:
        rows = session.execute(
            text("SELECT learner_id, status FROM sends WHERE campaign_id = :c"), {"c": campaign_id}
        )
        return {int(lid[1:]): status for lid, status in rows}
