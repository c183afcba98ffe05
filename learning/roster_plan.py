"""Planning a roster import: the store's learners for the file's identities, in a few queries.

Nothing is written here. The learners that any phone, Telegram id, username or platform user
id of the file (supervisor cells included) names are read in chunks (`among`); then
each row is matched in memory to the learner it updates, or gets a new learner id, and each
supervisor cell is resolved, first among the file's rows, then in the store. Rows that name
two stored learners, or the same learner as an earlier row, are reported and left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Row, String, Table, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from learning.models import ChannelLinkRow, LearnerRow, new_id
from learning.roster_parse import RosterRow, RowError, identity

_T = TypeVar("_T")
_LEARNERS = cast(Table, LearnerRow.__table__)
_LINKS = cast(Table, ChannelLinkRow.__table__)
#: A learner as stored before the import: the `FIELDS` columns.
Stored = Row[*tuple[Any, ...]]
#: The learner columns a plan reads (and an import may write).
FIELDS = (
    "id", "name", "name_confirmed", "organisation", "role", "language", "phone",
    "telegram_username", "access", "timezone", "platform_user_id", "supervisor_id", "email",
)  # fmt: skip
#: Values per ``IN`` list on SQLite (well under its bound-parameter limit), and per array on
#: PostgreSQL (one parameter, however long).
CHUNK = 1000
ARRAY_CHUNK = 10_000


def chunks(items: Sequence[_T], size: int = CHUNK) -> Iterator[Sequence[_T]]:
    """`items` in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(
    session: Session, column: ColumnElement[Any], values: Iterable[str]
) -> Iterator[ColumnElement[bool]]:
    """Conditions `column` is one of `values`, a chunk each: ``= ANY(array)`` on PostgreSQL
    (one parameter: no thousand placeholders to render and parse), ``IN (…)`` elsewhere."""
    distinct = sorted(set(values))
    if session.get_bind().dialect.name == "postgresql":
        for part in chunks(distinct, ARRAY_CHUNK):
            yield column == any_(literal(list(part), ARRAY(String)))
        return
    for part in chunks(distinct):
        yield column.in_(part)


@dataclass
class Known:
    """Stored learners by each identity the file uses; an identity may name several."""

    learners: dict[str, Stored] = field(default_factory=dict)
    phone: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    telegram: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    username: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    platform: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    email: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: (channel, channel user id) links that exist, whoever they belong to.
    links: set[tuple[str, str]] = field(default_factory=set)

    def find(self, phone: str | None, telegram: str | None, username: str | None) -> set[str]:
        """Ids of the stored learners any of these identities names."""
        found: set[str] = set()
        for index, key in ((self.phone, phone), (self.telegram, telegram)):
            if key:
                found |= index.get(key, set())
        if username:
            found |= self.username.get(username, set())
        return found


def load_known(
    session: Session,
    phones: Iterable[str],
    telegram_ids: Iterable[str],
    usernames: Iterable[str],
    platform_ids: Iterable[str],
    emails: Iterable[str] = (),
) -> Known:
    """The stored learners and links these identities name (a query per kind and chunk)."""
    known = Known()
    columns = [_LEARNERS.c[name] for name in FIELDS]

    def learners(column: Any, values: Iterable[str], index: defaultdict[str, set[str]]) -> None:
        for condition in among(session, column, values):
            for row in session.execute(select(*columns, column.label("key")).where(condition)):
                known.learners[row.id] = row
                index[row.key].add(row.id)

    def linked(channel: str, values: Iterable[str], index: defaultdict[str, set[str]]) -> None:
        user = _LINKS.c.channel_user_id
        for condition in among(session, user, values):
            query = select(_LINKS.c.learner_id, user).where(_LINKS.c.channel == channel, condition)
            for learner, key in session.execute(query):
                index[key].add(learner)
                known.links.add((channel, key))
        missing = {i for ids in index.values() for i in ids} - known.learners.keys()
        learners(_LEARNERS.c.id, missing, defaultdict(set))

    def unindexed(column: Any, values: Iterable[str], index: defaultdict[str, set[str]]) -> None:
        wanted = set(values)
        if len(wanted) <= CHUNK:
            learners(column, wanted, index)
            return
        # One pass over the learners that have a value, rather than a table scan per chunk.
        query = select(*columns, column.label("key")).where(column.is_not(None))
        for row in session.execute(query.execution_options(yield_per=CHUNK)):
            if row.key in wanted:
                known.learners[row.id] = row
                index[row.key].add(row.id)

    phones = list(phones)
    learners(_LEARNERS.c.phone, phones, known.phone)
    linked("whatsapp", phones, known.phone)
    linked("telegram", telegram_ids, known.telegram)
    learners(_LEARNERS.c.telegram_username, usernames, known.username)
    unindexed(_LEARNERS.c.platform_user_id, platform_ids, known.platform)  # no index (yet)
    learners(_LEARNERS.c.email, emails, known.email)
    return known


def describe(learner: Stored) -> str:
    """A stored learner as an operator recognises them: name and phone or username."""
    contact = learner.phone or (
        f"@{learner.telegram_username}" if learner.telegram_username else ""
    )
    return f"{learner.name or 'a learner'} ({contact or learner.id})"


def match(
    known: Known,
    identities: tuple[str | None, str | None, str | None],
    platform_id: str | None,
    taken: dict[str, int],
    email: str | None = None,
) -> tuple[str | None, str | None]:
    """(stored learner id or None, error or None) for one row; `taken`: learner id -> line.

    A platform user id or an email that another stored learner holds is an error: neither is
    ever shared."""
    found = known.find(*identities)
    if len(found) > 1:
        names = ", ".join(sorted(describe(known.learners[i]) for i in found))
        return (
            None,
            f"the row's phone and Telegram identities belong to different learners: {names}",
        )
    learner = next(iter(found), None)
    for column, value, index in (("platform_user_id", platform_id, known.platform),
                                 ("email", email, known.email)):  # fmt: skip
        holders = index.get(value, set()) - {learner} if value else set()
        if holders:
            holder = known.learners[min(holders)]
            return None, f"{column} {value!r} belongs to {describe(holder)}"
    if learner is not None and learner in taken:
        who = describe(known.learners[learner])
        return None, f"{who} is also on line {taken[learner]}"
    return learner, None


@dataclass
class Entry:
    """A row to write: the learner it creates or updates, and its resolved supervisor."""

    row: RosterRow
    id: str
    #: The learner as stored before the import; None for a new learner.
    stored: Stored | None
    supervisor: str | None = None


@dataclass
class Plan:
    """What an import will write, and the problems found against the store."""

    entries: list[Entry]
    known: Known
    errors: list[RowError]
    #: Lines left out because of a problem found here.
    skipped: set[int]

    def links(self) -> list[tuple[int, str | None, str | None]]:
        """(line, organisation, parent) of each row to write, in file order."""
        return [(e.row.line, e.row.organisation, e.row.parent_organisation) for e in self.entries]


def plan(session: Session, rows: Sequence[RosterRow]) -> Plan:
    """Match the rows to stored learners and resolve supervisors; read-only."""
    supervisors = [identity(r.supervisor) for r in rows if r.supervisor]
    known = load_known(
        session,
        [r.phone for r in rows if r.phone] + [s[0] for s in supervisors if s[0]],
        [r.telegram_id for r in rows if r.telegram_id] + [s[1] for s in supervisors if s[1]],
        [r.telegram_username for r in rows if r.telegram_username]
        + [s[2] for s in supervisors if s[2]],
        [r.platform_user_id for r in rows if r.platform_user_id],
        [r.email for r in rows if r.email],
    )
    result = Plan([], known, [], set())
    taken: dict[str, int] = {}
    for row in rows:
        keys = (row.phone, row.telegram_id, row.telegram_username)
        learner, problem = match(known, keys, row.platform_user_id, taken, row.email)
        if problem:
            result.errors.append(RowError(row.line, problem))
            result.skipped.add(row.line)
            continue
        if learner is not None:
            taken[learner] = row.line
        stored = known.learners[learner] if learner else None
        result.entries.append(Entry(row, learner or new_id(), stored))
    _resolve_supervisors(result)
    return result


def _resolve_supervisors(result: Plan) -> None:
    """Each supervisor cell as a learner id: the file's rows first, then the store."""
    in_file: tuple[dict[str, str], dict[str, str], dict[str, str]] = ({}, {}, {})
    for entry in result.entries:
        keys = (entry.row.phone, entry.row.telegram_id, entry.row.telegram_username)
        for index, key in zip(in_file, keys, strict=True):
            if key:
                index.setdefault(key, entry.id)
    stored = (result.known.phone, result.known.telegram, result.known.username)
    for entry in result.entries:
        if not entry.row.supervisor:
            continue
        keys = identity(entry.row.supervisor)
        found = [index[k] for index, k in zip(in_file, keys, strict=True) if k and k in index]
        found += [min(index[k]) for index, k in zip(stored, keys, strict=True) if k and k in index]
        if not found:
            result.errors.append(
                RowError(
                    entry.row.line,
                    f"supervisor {entry.row.supervisor!r} is not in the roster or the learner "
                    "store",
                )
            )
        elif found[0] != entry.id:
            entry.supervisor = found[0]
