"""The roster's cells beyond name and contact: length caps, organisation, access, time zone,
platform user id, email and mandatory courses with their batches.

Parsing is pure: a bad cell raises `ColumnError`, whose message becomes the row's error.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from email_validator import EmailNotValidError, validate_email

from learning.organisations import ACCESS_LEVELS

#: A course id as the content loader accepts it (learning/content_loader.py).
_COURSE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: A learning-platform id (Sunbird user or batch id): fits the store's String(64) columns.
_PLATFORM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # no ':', the entry's separator
#: How Excel writes a long number in a "General" cell: 9.19877E+11.
_SCIENTIFIC = re.compile(r"^\d[.,]\d*E\+\d+$", re.IGNORECASE)
NAME_LENGTH = 200  # learners.name, learners.organisation, learners.role, organisations.name

Mandatory = tuple[tuple[str, date], ...]
Batches = tuple[tuple[str, str], ...]


class ColumnError(ValueError):
    """A cell that cannot be imported; the message says why."""


def check_text(column: str, value: str) -> str | None:
    """A free-text cell (name, organisation, role) as stored; None when empty.

    A value longer than the store's column, or with letters a legacy export replaced by '?'
    (or by the replacement character), is refused rather than cut or stored garbled.
    """
    if len(value) > NAME_LENGTH:
        raise ColumnError(f"{column} is longer than {NAME_LENGTH} characters ({len(value)})")
    if "?" in value or "\ufffd" in value:
        raise ColumnError(
            f"{column} {value!r} has letters replaced by '?': the file was saved in an "
            "encoding without them; save it as CSV UTF-8"
        )
    return value or None


def excel_hint(value: str) -> str:
    """A hint for a number Excel wrote in scientific notation ("" for any other value)."""
    if _SCIENTIFIC.match(value):
        return " (Excel wrote it in scientific notation: format the column as Text)"
    return ""


def parse_organisation(organisation: str, parent: str) -> str | None:
    """The row's parent organisation (None when not given), checked against the organisation."""
    check_text("organisation", organisation)
    check_text("parent_organisation", parent)
    if not parent:
        return None
    if not organisation:
        raise ColumnError(f"parent_organisation {parent!r} needs an organisation on the same row")
    if parent == organisation:
        raise ColumnError(f"organisation {organisation!r} cannot be its own parent")
    return parent


def parse_access(raw: str) -> str:
    """learner, supervisor or admin (any case); an empty cell is learner."""
    access = raw.lower() or "learner"
    if access not in ACCESS_LEVELS:
        raise ColumnError(f"access {raw!r} is not one of {', '.join(ACCESS_LEVELS)}")
    return access


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(raw: str) -> str | None:
    """An IANA zone name in its canonical spelling, or None (the deployment's default)."""
    if not raw:
        return None
    name = _zones().get(raw.lower())
    try:
        if name is None:
            raise KeyError(raw)
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        raise ColumnError(
            f"timezone {raw!r} is not an IANA time zone name such as Asia/Kolkata"
        ) from None
    return name


def parse_platform_id(raw: str) -> str | None:
    """The learner's user id on the learning platform (Sunbird/iGOT); None when empty."""
    if not raw:
        return None
    if not _PLATFORM_ID.match(raw):
        raise ColumnError(
            f"platform_user_id {raw!r} is not a platform user id (letters, digits, '.', '_', "
            f"':', '-'; at most 64){excel_hint(raw)}"
        )
    return raw


def parse_email(raw: str) -> str | None:
    """The learner's email address (how the dashboard's `supervisors invite` can name them),
    checked for its form only (no DNS: imports run offline) and lower-cased; None when empty."""
    if not raw:
        return None
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ColumnError(f"email {raw!r} is not an email address: {exc}") from None
    return checked.normalized.lower()


def parse_mandatory(raw: str) -> tuple[Mandatory, Batches]:
    """`course-id:YYYY-MM-DD[:batch-id]` entries separated by ';'.

    Returns:
        (course id, due date) pairs, and (course id, batch id) pairs for entries with a batch.
    """
    due: dict[str, date] = {}
    batches: dict[str, str] = {}
    for entry in (e.strip() for e in raw.split(";")):
        if not entry:
            continue
        parts = [part.strip() for part in entry.split(":")]
        if len(parts) not in (2, 3):
            raise ColumnError(f"mandatory entry {entry!r} is not course-id:YYYY-MM-DD")
        course, day = parts[0].lower(), parts[1]
        if not _COURSE_ID.match(course):
            raise ColumnError(f"mandatory entry {entry!r}: {course!r} is not a course id")
        try:
            if not _DATE.match(day):
                raise ValueError(day)
            when = date.fromisoformat(day)
        except ValueError:
            raise ColumnError(
                f"mandatory entry {entry!r}: {day!r} is not a date (YYYY-MM-DD)"
            ) from None
        if due.setdefault(course, when) != when:
            raise ColumnError(f"mandatory lists {course!r} with two due dates")
        batch = parts[2] if len(parts) == 3 else ""
        if batch and not _BATCH_ID.match(batch):
            raise ColumnError(
                f"mandatory entry {entry!r}: {batch!r} is not a batch id (letters, digits, "
                "'.', '_', '-'; at most 64)"
            )
        if batch and batches.setdefault(course, batch) != batch:
            raise ColumnError(f"mandatory lists {course!r} with two batches")
    return tuple(due.items()), tuple(batches.items())
