"""The learner repository: one interface, a SQL implementation and an in-memory one."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Select, String, Table, bindparam, func, insert, select, union_all, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from learning.channel_models import OptEventRow
from learning.models import ChannelLinkRow, LearnerRow, aware, new_id, utcnow
from learning.name import normal_name
from learning.store import core_rows, write_one


class LearnerNotFound(KeyError):
    """No learner has that id."""


class ChannelTaken(ValueError):
    """That channel identity already belongs to another learner."""


@dataclass(frozen=True)
class Learner:
    """A learner record, as plain values."""

    id: str
    name: str | None
    language: str
    script: str
    language_chosen: bool
    reminders_enabled: bool
    organisation: str | None
    role: str | None
    supervisor_id: str | None
    consent_at: datetime | None
    created_at: datetime
    name_confirmed: bool = False


class LearnerRepository(Protocol):
    """What the bot needs from the learner store."""

    def get(self, learner_id: str) -> Learner | None: ...
    def get_by_channel(self, channel: str, channel_user_id: str) -> Learner | None: ...
    def get_for_sender(self, sender_id: str, channel: str) -> Learner | None: ...
    def get_or_create(
        self,
        channel: str,
        channel_user_id: str,
        *,
        name: str | None = None,
        language: str | None = None,
        username: str | None = None,
    ) -> Learner: ...
    def set_language(
        self, learner_id: str, language: str, script: str = "native", *, chosen: bool = True
    ) -> Learner: ...
    def set_reminders(self, learner_id: str, enabled: bool, source: str = "chat") -> Learner: ...
    def link_channel(self, learner_id: str, channel: str, channel_user_id: str) -> Learner: ...
    def confirm_name(self, learner_id: str, name: str) -> Learner: ...
    def count(self) -> int: ...


_LEARNERS = cast(Table, LearnerRow.__table__)
_LINKS = cast(Table, ChannelLinkRow.__table__)
#: The hot reads (every action and every gateway message) as Core statements: an ORM
#: `Session.get` costs about three times as much CPU for the same row (ARCHITECTURE D34).
_BY_ID = select(_LEARNERS).where(_LEARNERS.c.id == bindparam("learner_id"))
_BY_CHANNEL = (
    select(_LEARNERS)
    .join(_LINKS, _LINKS.c.learner_id == _LEARNERS.c.id)
    .where(_LINKS.c.channel == bindparam("channel"))
    .where(_LINKS.c.channel_user_id == bindparam("channel_user_id"))
)

#: A dialogue sender: the learner with that id (the gateway's senders), or the one linked to
#: it on a channel (senders that talk to Rasa directly), in one statement. Two index lookups
#: joined by UNION ALL: an OR of the two would scan the learners.
_BY_SENDER = union_all(
    select(_LEARNERS).where(_LEARNERS.c.id == bindparam("sender_id")),
    select(_LEARNERS)
    .join(_LINKS, _LINKS.c.learner_id == _LEARNERS.c.id)
    .where(_LINKS.c.channel == bindparam("channel"))
    .where(_LINKS.c.channel_user_id == bindparam("sender_id")),
)

#: What a new learner's row is given (the rest take their column defaults).
_NEW_LEARNER_COLUMNS = (
    "id", "name", "language", "script", "language_chosen", "reminders_enabled", "created_at"
)  # fmt: skip
_LINK_COLUMNS = ("learner_id", "channel", "channel_user_id", "created_at")

#: A new learner and their channel link in one statement, for PostgreSQL: the link is inserted
#: from the learner insert's RETURNING (a data-modifying CTE). A statement is atomic, so a
#: link that is taken (another worker created this identity first) inserts no learner either,
#: as the two-statement transaction SQLite runs (it has no INSERT in a CTE).
_NEW_LEARNER = (
    insert(_LEARNERS)
    .values(
        {c: bindparam(c) for c in _NEW_LEARNER_COLUMNS} | {"updated_at": bindparam("created_at")}
    )
    .returning(_LEARNERS.c.id, _LEARNERS.c.created_at)
    .cte("new_learner")
)
_CREATE_LINKED = insert(_LINKS).from_select(
    _LINK_COLUMNS,
    select(
        _NEW_LEARNER.c.id,
        bindparam("channel", type_=String),
        bindparam("channel_user_id", type_=String),
        _NEW_LEARNER.c.created_at,
    ),
)


@functools.cache
def _update_of(columns: frozenset[str]) -> Any:
    """``UPDATE learners SET <columns>, updated_at … RETURNING`` the row, built once per set
    of columns; the values are bound when it runs (D34)."""
    values = {column: bindparam(column, type_=_LEARNERS.c[column].type) for column in columns}
    return (
        update(_LEARNERS)
        .where(_LEARNERS.c.id == bindparam("learner_id"))
        .values(updated_at=bindparam("at"), **values)
        .returning(*_LEARNERS.c)
    )


def _to_learner(row: LearnerRow | Row[Any]) -> Learner:
    return Learner(
        id=row.id,
        name=row.name,
        language=row.language,
        script=row.script,
        language_chosen=row.language_chosen,
        reminders_enabled=row.reminders_enabled,
        organisation=row.organisation,
        role=row.role,
        supervisor_id=row.supervisor_id,
        consent_at=aware(row.consent_at),
        created_at=aware(row.created_at) or row.created_at,
        name_confirmed=row.name_confirmed,
    )


class SqlLearnerRepository:
    """Learners in a SQL database (SQLite or PostgreSQL).

    Args:
        sessions: Sessions on a migrated learner store (`learning.db`).
        default_language: The language of a new learner until they choose one.
    """

    def __init__(self, sessions: sessionmaker[Session], *, default_language: str = "en") -> None:
        self._sessions = sessions
        self._default_language = default_language

    def get(self, learner_id: str) -> Learner | None:
        return self._read_one(_BY_ID, learner_id=learner_id)

    def get_by_channel(self, channel: str, channel_user_id: str) -> Learner | None:
        return self._read_one(_BY_CHANNEL, channel=channel, channel_user_id=channel_user_id)

    def get_for_sender(self, sender_id: str, channel: str) -> Learner | None:
        """The learner whose id is `sender_id`, else the one linked to it on `channel`."""
        rows = core_rows(self._sessions, _BY_SENDER, sender_id=sender_id, channel=channel)
        row = next((r for r in rows if r.id == sender_id), rows[0] if rows else None)
        return _to_learner(row) if row is not None else None

    def _read_one(self, query: Select[Any], **values: str) -> Learner | None:
        rows = core_rows(self._sessions, query, **values)
        return _to_learner(rows[0]) if rows else None

    def get_or_create(
        self,
        channel: str,
        channel_user_id: str,
        *,
        name: str | None = None,
        language: str | None = None,
        username: str | None = None,
    ) -> Learner:
        found = self.get_by_channel(channel, channel_user_id)
        if found is not None:
            return found
        listed = self._by_username(username) if username else None
        if listed is not None:  # a roster learner listed by handle: link, don't create
            try:
                return self.link_channel(listed.id, channel, channel_user_id)
            except ChannelTaken:  # another worker linked this identity first
                return self.get_by_channel(channel, channel_user_id) or listed
        now = utcnow()
        learner = Learner(
            id=new_id(), name=name, language=language or self._default_language, script="native",
            language_chosen=False, reminders_enabled=True, organisation=None, role=None,
            supervisor_id=None, consent_at=None, created_at=now,
        )  # fmt: skip
        try:
            self._insert(learner, channel, channel_user_id)
        except IntegrityError:  # another worker linked this identity first
            winner = self.get_by_channel(channel, channel_user_id)
            if winner is None:
                raise
            return winner
        return learner

    def _insert(self, learner: Learner, channel: str, channel_user_id: str) -> None:
        """Insert a new learner with their channel link, both or neither (IntegrityError)."""
        row = {column: getattr(learner, column) for column in _NEW_LEARNER_COLUMNS}
        link = {"channel": channel, "channel_user_id": channel_user_id}
        if self._sessions.kw["bind"].dialect.name == "postgresql":
            write_one(self._sessions, _CREATE_LINKED, **row, **link)
            return
        with self._sessions.begin() as session:  # Core inserts: no unit of work to flush
            session.execute(insert(_LEARNERS), row | {"updated_at": learner.created_at})
            session.execute(insert(_LINKS), link | {"learner_id": learner.id})

    def _update(self, learner_id: str, **values: object) -> Learner:
        """Set columns of one learner and return the row as written: one statement."""
        statement = _update_of(frozenset(values))
        rows = write_one(self._sessions, statement, learner_id=learner_id, at=utcnow(), **values)
        if not rows:
            raise LearnerNotFound(learner_id)
        return _to_learner(rows[0])

    def set_language(
        self, learner_id: str, language: str, script: str = "native", *, chosen: bool = True
    ) -> Learner:
        """Set the language; `chosen=False` when guessed (the learner is still asked)."""
        return self._update(learner_id, language=language, script=script, language_chosen=chosen)

    def confirm_name(self, learner_id: str, name: str) -> Learner:
        """Set the name certificates carry, as the learner confirmed or typed it."""
        return self._update(learner_id, name=normal_name(name), name_confirmed=True)

    def set_reminders(self, learner_id: str, enabled: bool, source: str = "chat") -> Learner:
        """Switch reminders and campaigns off or on, recording when and how (`opt_events`)."""
        with self._sessions.begin() as session:
            row = session.get(LearnerRow, learner_id, with_for_update=True)
            if row is None:
                raise LearnerNotFound(learner_id)
            now = utcnow()
            row.reminders_enabled, row.updated_at = enabled, now
            session.add(OptEventRow(learner_id=learner_id, enabled=enabled, source=source, at=now))
            session.flush()
            return _to_learner(row)

    def _by_username(self, username: str) -> Learner | None:
        handle = username.lstrip("@").lower()
        with self._sessions() as session:
            row = session.scalars(select(LearnerRow).filter_by(telegram_username=handle)).first()
            return _to_learner(row) if row else None

    def link_channel(self, learner_id: str, channel: str, channel_user_id: str) -> Learner:
        owner = self.get_by_channel(channel, channel_user_id)
        if owner is not None:
            if owner.id != learner_id:
                raise ChannelTaken(f"{channel}:{channel_user_id} belongs to another learner")
            return owner
        learner = self.get(learner_id)
        if learner is None:
            raise LearnerNotFound(learner_id)
        try:
            with self._sessions.begin() as session:
                link = ChannelLinkRow(
                    learner_id=learner_id, channel=channel, channel_user_id=channel_user_id
                )
                session.add(link)
        except IntegrityError:
            return self.link_channel(learner_id, channel, channel_user_id)
        return learner

    def count(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(LearnerRow)) or 0)


class InMemoryLearnerRepository:
    """Learners in memory, with the same semantics, for tests and throwaway runs."""

    def __init__(self, *, default_language: str = "en") -> None:
        self._default_language = default_language
        self._lock = threading.Lock()
        self._learners: dict[str, Learner] = {}
        self._links: dict[tuple[str, str], str] = {}
        #: Roster handles (lower case, no "@") → learner id; tests fill it in.
        self.usernames: dict[str, str] = {}
        #: (learner id, enabled, source) of every reminder switch, in order.
        self.opt_events: list[tuple[str, bool, str]] = []

    def get(self, learner_id: str) -> Learner | None:
        return self._learners.get(learner_id)

    def get_by_channel(self, channel: str, channel_user_id: str) -> Learner | None:
        learner_id = self._links.get((channel, channel_user_id))
        return self._learners.get(learner_id) if learner_id else None

    def get_for_sender(self, sender_id: str, channel: str) -> Learner | None:
        return self.get(sender_id) or self.get_by_channel(channel, sender_id)

    def get_or_create(
        self,
        channel: str,
        channel_user_id: str,
        *,
        name: str | None = None,
        language: str | None = None,
        username: str | None = None,
    ) -> Learner:
        with self._lock:
            found = self.get_by_channel(channel, channel_user_id)
            if found is not None:
                return found
            listed = self.usernames.get((username or "").lstrip("@").lower())
            if listed is not None:
                self._links[(channel, channel_user_id)] = listed
                return self._learners[listed]
            language = language or self._default_language
            learner = Learner(
                id=new_id(), name=name, language=language, script="native",
                language_chosen=False, reminders_enabled=True, organisation=None, role=None,
                supervisor_id=None, consent_at=None, created_at=utcnow(),
            )  # fmt: skip
            self._learners[learner.id] = learner
            self._links[(channel, channel_user_id)] = learner.id
            return learner

    def _update(self, learner_id: str, **values: object) -> Learner:
        with self._lock:
            learner = self._learners.get(learner_id)
            if learner is None:
                raise LearnerNotFound(learner_id)
            updated = replace(learner, **values)  # type: ignore[arg-type]
            self._learners[learner_id] = updated
            return updated

    def set_language(
        self, learner_id: str, language: str, script: str = "native", *, chosen: bool = True
    ) -> Learner:
        """Set the language; `chosen=False` when guessed (the learner is still asked)."""
        return self._update(learner_id, language=language, script=script, language_chosen=chosen)

    def confirm_name(self, learner_id: str, name: str) -> Learner:
        return self._update(learner_id, name=normal_name(name), name_confirmed=True)

    def set_reminders(self, learner_id: str, enabled: bool, source: str = "chat") -> Learner:
        updated = self._update(learner_id, reminders_enabled=enabled)
        self.opt_events.append((learner_id, enabled, source))
        return updated

    def link_channel(self, learner_id: str, channel: str, channel_user_id: str) -> Learner:
        with self._lock:
            learner = self._learners.get(learner_id)
            if learner is None:
                raise LearnerNotFound(learner_id)
            owner = self._links.setdefault((channel, channel_user_id), learner_id)
            if owner != learner_id:
                raise ChannelTaken(f"{channel}:{channel_user_id} belongs to another learner")
            return learner

    def count(self) -> int:
        return len(self._learners)
