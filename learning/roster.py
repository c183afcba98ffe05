"""Roster import: learners from a CSV file, validated row by row, updated on re-import.

Columns (header row required, any order; only ``name`` is required): ``name, phone, telegram,
organisation, role, supervisor, language`` and the optional ``parent_organisation, access,
timezone, mandatory``.

- ``telegram`` is a numeric Telegram user id or an ``@username``; a row needs a name and a phone
  or Telegram identity. A learner is found again by phone, Telegram id or Telegram username, so
  a re-import updates learners and never duplicates them.
- ``supervisor`` is the supervisor's phone or Telegram id/username, from the same file or
  already imported.
- ``organisation`` is ensured in the organisation tree; ``parent_organisation`` (needs an
  organisation on the row) puts it under that parent, which is ensured too, and a re-import
  moves it. One file gives an organisation one parent; an empty cell leaves the parent as it
  is. Links are made in file order, and a link that would make a cycle is reported on the line
  that closes it: that learner is still imported, the tree is left as it was.
- ``access``: ``learner``, ``supervisor`` or ``admin`` (any case; empty means learner).
- ``timezone``: an IANA zone name such as ``Asia/Kolkata``; empty means the deployment default.
- ``mandatory``: ``course-id:YYYY-MM-DD`` entries separated by ``;``. Each enrolls the learner
  (if not yet) and sets the enrollment's due date; a re-import moves the date. A course left
  out keeps its enrollment and due date. Course ids are only checked for their form, not
  against the content library (the learner store has no access to it): a mistyped id makes
  an enrollment in no course, so take the ids from the content folder's course directories.

A file without the ``access`` or ``timezone`` column leaves those fields as they are (an older
roster does not demote anyone); with the column, an empty cell sets the default.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from learning import roster_columns as extra
from learning.models import ChannelLinkRow, LearnerRow, new_id, utcnow

#: Every column a roster may have; only "name" is required (see the module docstring).
COLUMNS = ("name", "phone", "telegram", "organisation", "role", "supervisor", "language",
           "parent_organisation", "access", "timezone", "mandatory")  # fmt: skip
_TELEGRAM_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{4,31})$")


@dataclass(frozen=True)
class RosterRow:
    """One valid roster row."""

    line: int
    name: str
    phone: str | None
    telegram_id: str | None
    telegram_username: str | None
    organisation: str | None
    role: str | None
    supervisor: str | None
    language: str
    parent_organisation: str | None = None
    access: str = "learner"
    timezone: str | None = None
    mandatory: extra.Mandatory = ()
    #: The file's columns: a learner keeps its access and time zone if the file lacks them.
    given: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RowError:
    """A row that was not imported, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: Distinct organisations the imported rows name (organisation and parent_organisation).
    organisations: int = 0


def normalise_phone(raw: str, region: str = "IN") -> str | None:
    """A phone number as E.164 digits without '+' (WhatsApp's form), or None if invalid."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def _identity(raw: str) -> tuple[str | None, str | None, str | None]:
    """Every (phone, Telegram id, Telegram username) reading of a cell; unreadable parts None.

    "9876543210" may be a phone number or a Telegram id, so a supervisor cell is matched
    against both.
    """
    raw = raw.strip()
    telegram_id = raw if raw.isdigit() and not raw.startswith("0") else None
    match = _TELEGRAM_USERNAME.match(raw)
    return normalise_phone(raw), telegram_id, match[1].lower() if match else None


def parse(path: Path, languages: Collection[str]) -> tuple[list[RosterRow], list[RowError]]:
    """Read and validate a roster file; every bad row is reported with its line number."""
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in ("name",) if c not in header]
        unknown = [h for h in header if h and h not in COLUMNS]
        if missing or unknown:
            problems = [f"missing column {c!r}" for c in missing]
            problems += [f"unknown column {h!r}" for h in unknown]
            return [], [RowError(1, "; ".join(problems) + f" (columns: {', '.join(COLUMNS)})")]
        reader.fieldnames = header
        for record in reader:
            line = reader.line_num
            cells = {k: (v or "").strip() for k, v in record.items() if k}
            row, problem = _validate(line, cells, languages, frozenset(header))
            if problem:
                errors.append(RowError(line, problem))
            elif row:
                rows.append(row)
    seen: dict[str, int] = {}
    for row in rows:
        for key in filter(None, (row.phone, row.telegram_id, row.telegram_username)):
            if key in seen:
                errors.append(RowError(row.line, f"{key} is also on line {seen[key]}"))
            seen.setdefault(key, row.line)
    parents: dict[str, tuple[str, int]] = {}  # one parent per organisation in a file
    bad = {e.line for e in errors}
    for row in rows:
        if row.organisation and row.parent_organisation and row.line not in bad:
            parent, first = parents.setdefault(
                row.organisation, (row.parent_organisation, row.line)
            )
            if parent != row.parent_organisation:
                message = f"parent_organisation {row.parent_organisation!r} contradicts {parent!r}"
                errors.append(RowError(row.line, f"{message} on line {first}"))
    bad = {e.line for e in errors}
    return [r for r in rows if r.line not in bad], sorted(errors, key=lambda e: e.line)


def _validate(
    line: int, cells: dict[str, str], languages: Collection[str], given: frozenset[str]
) -> tuple[RosterRow | None, str | None]:
    if not any(cells.values()):
        return None, None  # blank line
    if not cells.get("name"):
        return None, "name is empty"
    phone = None
    if cells.get("phone"):
        phone = normalise_phone(cells["phone"])
        if phone is None:
            return None, f"phone {cells['phone']!r} is not a valid number"
    telegram_id = username = None
    if cells.get("telegram"):
        _, telegram_id, username = _identity(cells["telegram"])
        if not (telegram_id or username):
            return None, f"telegram {cells['telegram']!r} is neither a user id nor an @username"
    if not (phone or telegram_id or username):
        return None, "needs a phone or a Telegram id/username"
    language = (cells.get("language") or "en").lower()
    if language not in languages:
        return None, f"language {language!r} is not one of {', '.join(sorted(languages))}"
    try:
        parent = extra.parse_organisation(
            cells.get("organisation", ""), cells.get("parent_organisation", "")
        )
        access = extra.parse_access(cells.get("access", ""))
        timezone = extra.parse_timezone(cells.get("timezone", ""))
        mandatory = extra.parse_mandatory(cells.get("mandatory", ""))
    except extra.ColumnError as exc:
        return None, str(exc)
    return RosterRow(
        line,
        cells["name"][:200],
        phone,
        telegram_id,
        username,
        cells.get("organisation") or None,
        cells.get("role") or None,
        cells.get("supervisor") or None,
        language,
        parent,
        access,
        timezone,
        mandatory,
        given,
    ), None


def _find(
    session: Session, phone: str | None, telegram_id: str | None, username: str | None
) -> LearnerRow | None:
    links = [(c, u) for c, u in (("whatsapp", phone), ("telegram", telegram_id)) if u]
    conditions = [LearnerRow.phone == phone] if phone else []
    if username:
        conditions.append(LearnerRow.telegram_username == username)
    for channel, user in links:
        conditions.append(
            LearnerRow.links.any(
                (ChannelLinkRow.channel == channel) & (ChannelLinkRow.channel_user_id == user)
            )
        )
    if not conditions:
        return None
    return session.scalars(select(LearnerRow).where(or_(*conditions))).first()


def import_rows(sessions: sessionmaker[Session], rows: Iterable[RosterRow]) -> ImportReport:
    """Create or update a learner per row, then resolve supervisors (one transaction)."""
    report = ImportReport()
    rows = list(rows)
    with sessions.begin() as session:
        report.organisations, cycles = extra.link_organisations(
            session, ((r.line, r.organisation, r.parent_organisation) for r in rows)
        )
        report.errors += [RowError(line, message) for line, message in cycles]
        for row in rows:
            learner = _find(session, row.phone, row.telegram_id, row.telegram_username)
            if learner is None:
                learner = LearnerRow(
                    id=new_id(),
                    created_at=utcnow(),
                    script="native",
                    language_chosen=True,
                    reminders_enabled=True,
                )
                session.add(learner)
                report.created += 1
            else:
                report.updated += 1
            learner.name, learner.organisation, learner.role = row.name, row.organisation, row.role
            learner.name_confirmed = True
            learner.language, learner.updated_at = row.language, utcnow()
            learner.phone = row.phone or learner.phone
            learner.telegram_username = row.telegram_username or learner.telegram_username
            if "access" in row.given:
                learner.access = row.access
            if "timezone" in row.given:
                learner.timezone = row.timezone
            session.flush()
            for channel, user in (("whatsapp", row.phone), ("telegram", row.telegram_id)):
                if (
                    user
                    and not session.scalars(
                        select(ChannelLinkRow).filter_by(channel=channel, channel_user_id=user)
                    ).first()
                ):
                    session.add(
                        ChannelLinkRow(learner_id=learner.id, channel=channel, channel_user_id=user)
                    )
            extra.ensure_mandatory(session, learner.id, row.mandatory)
        session.flush()
        for row in rows:
            if not row.supervisor:
                continue
            supervisor = _find(session, *_identity(row.supervisor))
            learner = _find(session, row.phone, row.telegram_id, row.telegram_username)
            if supervisor is None:
                report.errors.append(
                    RowError(
                        row.line,
                        f"supervisor {row.supervisor!r} is not in the roster or the learner store",
                    )
                )
            elif learner is not None and supervisor.id != learner.id:
                learner.supervisor_id = supervisor.id
    report.errors.sort(key=lambda e: e.line)
    return report


def find_learner(sessions: sessionmaker[Session], identity: str) -> str | None:
    """The id of the learner a phone number, Telegram id or @username (or learner id) names."""
    with sessions() as session:
        if session.get(LearnerRow, identity.strip()) is not None:
            return identity.strip()
        learner = _find(session, *_identity(identity))
        return learner.id if learner is not None else None
