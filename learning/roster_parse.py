"""Reading and validating a roster, the whole file before anything is written.

The columns and what they mean are in `learning.roster`. A problem with the file as a whole
(its encoding, its header) is one error on line 0 or the header's line, and no row is returned;
a problem with a row is reported on its line and the row is left out.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers

from learning import roster_columns as cells
from learning.roster_file import RosterFileError, read_table

#: Every column a roster may have; only "name" is required (see `learning.roster`).
COLUMNS = (
    "name", "phone", "telegram", "organisation", "role", "supervisor", "language",
    "parent_organisation", "access", "timezone", "mandatory", "platform_user_id", "email",
)  # fmt: skip
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
    mandatory: cells.Mandatory = ()
    #: The file's columns: a learner keeps its access and time zone if the file lacks them.
    given: frozenset[str] = frozenset()
    platform_user_id: str | None = None
    #: (course id, Sunbird batch id) of the mandatory entries that name a batch.
    batches: cells.Batches = ()
    email: str | None = None


@dataclass(frozen=True)
class RowError:
    """A row that was not imported (or a part of it that was not), and why.

    Attributes:
        whole_file: The file itself is unreadable (encoding, header): nothing is imported.
    """

    line: int
    message: str
    whole_file: bool = False

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@lru_cache(maxsize=65536)
def normalise_phone(raw: str, region: str = "IN") -> str | None:
    """A phone number as E.164 digits without '+' (WhatsApp's form), or None if invalid."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def identity(raw: str) -> tuple[str | None, str | None, str | None]:
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
    try:
        table = read_table(path, COLUMNS)
    except RosterFileError as exc:
        return [], [RowError(exc.line, str(exc), whole_file=True)]
    header = table.header
    problems = [] if "name" in header else ["missing column 'name'"]
    problems += [f"unknown column {h!r}" for h in header if h and h not in COLUMNS]
    problems += [f"column {h!r} twice" for h in sorted(set(header)) if h and header.count(h) > 1]
    if problems:
        message = "; ".join(problems) + f" (columns: {', '.join(COLUMNS)})"
        return [], [RowError(table.header_line, message, whole_file=True)]
    given = frozenset(header)
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    for line, record in table.records:
        extra = [c for c in record[len(header) :] if c.strip()]
        if extra:
            errors.append(RowError(line, _extra_cells(len(record), len(header), table.delimiter)))
            continue
        values = {k: v.strip() for k, v in zip(header, record, strict=False) if k}
        try:
            row = _validate(line, values, languages, given)
        except cells.ColumnError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        if row is not None:
            rows.append(row)
    errors += _across_rows(rows)
    bad = {e.line for e in errors}
    return [r for r in rows if r.line not in bad], sorted(errors, key=lambda e: e.line)


def _extra_cells(found: int, columns: int, delimiter: str) -> str:
    shown = {"\t": "a tab"}.get(delimiter, repr(delimiter))
    return (
        f"{found} cells but the header has {columns} columns (a value with {shown} in it "
        "needs double quotes)"
    )


def _across_rows(rows: list[RosterRow]) -> list[RowError]:
    """Identities given twice, and an organisation given two parents."""
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        keys = {
            "phone": row.phone, "telegram": row.telegram_id,
            "username": row.telegram_username, "platform": row.platform_user_id,
            "email": row.email,
        }  # fmt: skip
        for key in ((kind, value) for kind, value in keys.items() if value):
            if key in seen:
                errors.append(RowError(row.line, f"{key[1]} is also on line {seen[key]}"))
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
    return errors


def _validate(
    line: int, values: dict[str, str], languages: Collection[str], given: frozenset[str]
) -> RosterRow | None:
    """The row, or None for a blank line.

    Raises:
        ColumnError: for the row's first bad cell.
    """
    if not any(values.values()):
        return None
    name = cells.check_text("name", values.get("name", ""))
    if not name:
        raise cells.ColumnError("name is empty")
    raw_phone = values.get("phone", "")
    phone = normalise_phone(raw_phone) if raw_phone else None
    if raw_phone and phone is None:
        hint = cells.excel_hint(raw_phone)
        raise cells.ColumnError(f"phone {raw_phone!r} is not a valid number{hint}")
    telegram_id = username = None
    if raw := values.get("telegram"):
        _, telegram_id, username = identity(raw)
        if not (telegram_id or username):
            raise cells.ColumnError(
                f"telegram {raw!r} is neither a user id nor an @username{cells.excel_hint(raw)}"
            )
    if not (phone or telegram_id or username):
        raise cells.ColumnError("needs a phone or a Telegram id/username")
    language = (values.get("language") or "en").lower()
    if language not in languages:
        raise cells.ColumnError(
            f"language {language!r} is not one of {', '.join(sorted(languages))}"
        )
    organisation = values.get("organisation", "")
    parent = cells.parse_organisation(organisation, values.get("parent_organisation", ""))
    mandatory, batches = cells.parse_mandatory(values.get("mandatory", ""))
    return RosterRow(
        line=line,
        name=name,
        phone=phone,
        telegram_id=telegram_id,
        telegram_username=username,
        organisation=organisation or None,
        role=cells.check_text("role", values.get("role", "")),
        supervisor=values.get("supervisor") or None,
        language=language,
        parent_organisation=parent,
        access=cells.parse_access(values.get("access", "")),
        timezone=cells.parse_timezone(values.get("timezone", "")),
        mandatory=mandatory,
        given=given,
        platform_user_id=cells.parse_platform_id(values.get("platform_user_id", "")),
        batches=batches,
        email=cells.parse_email(values.get("email", "")),
    )
