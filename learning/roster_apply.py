"""Writing a planned roster import in short transactions.

The organisation tree goes first, in one transaction. Then the learners, a chunk of rows per
transaction (executemany INSERTs and UPDATEs of learners, channel links and mandatory
enrollments), each chunk sized to hold the locks for about 50 ms, so a learner's own write
waits for at most one chunk, not for the whole file. Last, the supervisors that were created
after the rows that name them, again in chunks. Re-running an import that was cut off
completes it: every write is an upsert on the plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.models import Base, ChannelLinkRow, EnrollmentRow, LearnerRow, new_id, utcnow
from learning.roster_plan import Entry, Plan, among
from learning.roster_tree import plan_tree, write_tree
from learning.store import skip_duplicates

#: Seconds a write transaction may hold its locks (SQLite's one write lock, PostgreSQL's row
#: locks): a learner's own write waits for at most one of them.
BUDGET = 0.05
#: Rows in the first write transaction, and the bounds as the size adapts to `BUDGET`.
FIRST, SMALLEST, LARGEST = 200, 25, 2000
#: Seconds between transactions: locks are not fair, so a writer queued behind one gets its
#: turn here instead of queueing behind the next one too.
PAUSE = 0.002
Progress = Callable[[int, int], None]
_T = TypeVar("_T")
_LEARNERS = cast(Table, LearnerRow.__table__)
_ENROLLMENTS = cast(Table, EnrollmentRow.__table__)


@dataclass
class _Chunk:
    """One transaction's learner rows, prepared before it starts."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[tuple[str, ...], list[dict[str, Any]]] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    #: Rows whose supervisor is written only by a later chunk (or later in this one).
    late: list[Entry] = field(default_factory=list)


class _Chunks:
    """Slices of a list sized so that each write transaction takes about `BUDGET` (halved
    when one took longer, doubled when one took under half), or a fixed size."""

    def __init__(self, fixed: int | None) -> None:
        self.size, self._fixed = fixed or FIRST, fixed is not None

    def over(self, items: Sequence[_T]) -> Iterator[Sequence[_T]]:
        """`items` in consecutive slices; time each slice's transaction with `timed`."""
        start = 0
        while start < len(items):
            part = items[start : start + self.size]
            start += len(part)
            yield part
            time.sleep(PAUSE)

    @contextmanager
    def timed(self, sessions: sessionmaker[Session]) -> Iterator[Session]:
        """A write transaction whose duration (after its turn came) sizes the next slice."""
        with sessions.begin() as session:
            started = time.monotonic()
            yield session
        took = time.monotonic() - started
        if not self._fixed and took > BUDGET:
            self.size = max(SMALLEST, self.size // 2)
        elif not self._fixed and took < BUDGET / 2:
            self.size = min(LARGEST, self.size * 2)


def apply(
    sessions: sessionmaker[Session],
    plan: Plan,
    *,
    chunk: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the plan: the tree, then learners chunk by chunk, then late supervisors.

    Args:
        chunk: Rows per transaction; by default sized to take about `BUDGET` each.
    """
    with sessions.begin() as session:  # the tree is re-read inside the writing transaction
        write_tree(session, plan_tree(session, plan.links()))
    written = set(plan.known.learners)  # learner ids a supervisor_id may point to
    late: list[Entry] = []
    sizes = _Chunks(chunk)
    done = 0
    for part in sizes.over(plan.entries):
        now = utcnow()
        prepared = _prepare(part, plan, written, now)
        with sizes.timed(sessions) as session:
            _write(session, prepared)
            _enrollments(session, part, now)
        written.update(entry.id for entry in part)
        late += prepared.late
        done += len(part)
        if progress:
            progress(done, len(plan.entries))
    for part in sizes.over(late):
        with sizes.timed(sessions) as session:
            session.execute(
                update(_LEARNERS)
                .where(_LEARNERS.c.id == bindparam("learner"))
                .values(supervisor_id=bindparam("boss")),
                [{"learner": e.id, "boss": e.supervisor} for e in part],
            )


def _values(entry: Entry, supervisor: str | None) -> dict[str, Any]:
    """The learner columns the row sets (access and time zone only when the file has them)."""
    row, stored = entry.row, entry.stored
    username = row.telegram_username or (stored.telegram_username if stored else None)
    values: dict[str, Any] = {
        "name": row.name,
        "name_confirmed": True,
        "organisation": row.organisation,
        "role": row.role,
        "language": row.language,
        "phone": row.phone or (stored.phone if stored else None),
        "telegram_username": username,
        "platform_user_id": row.platform_user_id or (stored.platform_user_id if stored else None),
        "email": row.email or (stored.email if stored else None),
        "supervisor_id": supervisor,
    }
    if "access" in row.given or stored is None:
        values["access"] = row.access
    if "timezone" in row.given or stored is None:
        values["timezone"] = row.timezone
    return values


def changes(entry: Entry) -> dict[str, Any]:
    """The learner columns writing `entry` sets to a new value (all of them for a new learner),
    for a preview of the import."""
    stored = entry.stored
    values = _values(entry, entry.supervisor or (stored.supervisor_id if stored else None))
    if stored is None:
        return values
    return {k: v for k, v in values.items() if getattr(stored, k) != v}


def _prepare(part: Sequence[Entry], plan: Plan, written: set[str], now: datetime) -> _Chunk:
    """The chunk's inserts and updates. New learners are inserted in file order, before the
    updates, so a supervisor new in this chunk can be named by the rows after it."""
    prepared = _Chunk()
    new_here = {e.id for e in part if e.stored is None}
    inserted: set[str] = set()  # new learners of this chunk inserted before the current row
    for entry in part:
        stored, boss = entry.stored, entry.supervisor
        before = inserted if stored is None else new_here  # updates go after the inserts
        if boss and boss not in written and boss not in before:
            prepared.late.append(entry)
            boss = None
        values = _values(entry, boss or (stored.supervisor_id if stored else None))
        if stored is None:
            prepared.new.append(
                values
                | {"id": entry.id, "script": "native", "language_chosen": True,
                   "reminders_enabled": True, "created_at": now, "updated_at": now}
            )  # fmt: skip
            inserted.add(entry.id)
        elif any(getattr(stored, k) != v for k, v in values.items()):
            values |= {"learner": entry.id, "updated_at": now}
            prepared.changed.setdefault(tuple(sorted(values)), []).append(values)
        identities = (("whatsapp", entry.row.phone), ("telegram", entry.row.telegram_id))
        prepared.links += [
            {"learner_id": entry.id, "channel": channel, "channel_user_id": user,
             "created_at": now}
            for channel, user in identities
            if user and (channel, user) not in plan.known.links
        ]  # fmt: skip
    return prepared


def _write(session: Session, prepared: _Chunk) -> None:
    """Insert the new learners, update the changed ones, add the missing links."""
    if prepared.new:
        session.execute(insert(_LEARNERS), prepared.new)
    for keys, rows in prepared.changed.items():
        columns: dict[str, Any] = {k: bindparam(k) for k in keys if k != "learner"}
        statement = update(_LEARNERS).where(_LEARNERS.c.id == bindparam("learner"))
        session.execute(statement.values(columns), rows)
    if prepared.links:  # ON CONFLICT DO NOTHING: a learner may have linked one since the plan
        _insert_new(session, ChannelLinkRow, prepared.links)


def _insert_new(session: Session, table: type[Base], rows: list[dict[str, Any]]) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` of many rows in one executemany (pipelined by
    psycopg), on the connection: through the session, the ORM sends them one by one."""
    statement = skip_duplicates(table, session.get_bind().dialect.name)
    session.connection().execute(statement, rows)


def _enrollments(session: Session, part: Sequence[Entry], now: datetime) -> None:
    """Enroll in each mandatory course with its due date and batch; move changed ones."""
    wanted = [e for e in part if e.row.mandatory]
    if not wanted:
        return
    # Only stored learners can have enrollments: a learner created in this transaction is
    # seen by no one else until it commits.
    stored = [e.id for e in wanted if e.stored is not None]
    columns = [_ENROLLMENTS.c[k] for k in ("id", "learner_id", "course_id", "due_on", "batch_id")]
    existing = {
        (r.learner_id, r.course_id): r
        for condition in among(session, _ENROLLMENTS.c.learner_id, stored)
        for r in session.execute(select(*columns).where(condition))
    }
    new: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    for entry in wanted:
        batches = dict(entry.row.batches)
        for course, due in entry.row.mandatory:
            batch = batches.get(course)
            found = existing.get((entry.id, course))
            if found is None:
                new.append(
                    {"id": new_id(), "learner_id": entry.id, "course_id": course,
                     "course_version": 1, "lesson_id": None, "part": 0, "enrolled_at": now,
                     "updated_at": now, "due_on": due, "batch_id": batch}
                )  # fmt: skip
            elif found.due_on != due or (batch and found.batch_id != batch):
                moved.append({"row": found.id, "due": due, "batch": batch or found.batch_id})
    if new:
        _insert_new(session, EnrollmentRow, new)
    if moved:  # a due date is not learning activity: keep updated_at (inactivity reminders)
        session.execute(
            update(_ENROLLMENTS)
            .where(_ENROLLMENTS.c.id == bindparam("row"))
            .values(
                due_on=bindparam("due"),
                batch_id=bindparam("batch"),
                updated_at=_ENROLLMENTS.c.updated_at,
            ),
            moved,
        )
