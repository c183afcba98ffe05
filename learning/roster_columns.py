"""The roster's optional columns: organisation tree, access level, time zone, mandatory courses.

Parsing is pure: a bad cell raises `ColumnError`, whose message becomes the row's error.
`link_organisations` and `ensure_mandatory` apply parsed rows inside the import's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from learning.models import EnrollmentRow, new_id, utcnow
from learning.organisations import ACCESS_LEVELS, OrganisationCycle, ensure

#: A course id as the content loader accepts it (learning/content_loader.py).
_COURSE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAME_LENGTH = 200  # organisations.name and learners.organisation

Mandatory = tuple[tuple[str, date], ...]


class ColumnError(ValueError):
    """A cell that cannot be imported; the message says why."""


def parse_organisation(organisation: str, parent: str) -> str | None:
    """The row's parent organisation (None when not given), checked against the organisation."""
    for column, name in (("organisation", organisation), ("parent_organisation", parent)):
        if len(name) > NAME_LENGTH:
            raise ColumnError(f"{column} is longer than {NAME_LENGTH} characters")
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


def parse_mandatory(raw: str) -> Mandatory:
    """`course-id:YYYY-MM-DD` entries separated by ';' as (course id, due date) pairs."""
    due: dict[str, date] = {}
    for entry in (e.strip() for e in raw.split(";")):
        if not entry:
            continue
        course, colon, day = (part.strip() for part in entry.partition(":"))
        if not colon:
            raise ColumnError(f"mandatory entry {entry!r} is not course-id:YYYY-MM-DD")
        course = course.lower()
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
    return tuple(due.items())


def link_organisations(
    session: Session, rows: Iterable[tuple[int, str | None, str | None]]
) -> tuple[int, list[tuple[int, str]]]:
    """Ensure each (line, organisation, parent) in file order; (names seen, cycle errors).

    Each organisation is linked to its parent once, on the first line that names the parent.
    A link that would close a cycle leaves the tree as it was and is reported on its line.
    """
    named: set[str] = set()
    linked: set[str] = set()
    errors: list[tuple[int, str]] = []
    for line, organisation, parent in rows:
        if not organisation or (organisation in named and (not parent or organisation in linked)):
            continue
        named.update(filter(None, (organisation, parent)))
        if not parent:
            ensure(session, organisation)
            continue
        linked.add(organisation)
        try:
            ensure(session, organisation, parent)
        except OrganisationCycle as exc:
            ensure(session, organisation)
            errors.append((line, f"parent_organisation would make a cycle: {exc}"))
    return len(named), errors


def ensure_mandatory(session: Session, learner_id: str, mandatory: Mandatory) -> int:
    """Enroll the learner in each course with its due date; returns how many were new."""
    created = 0
    for course, due in mandatory:
        row = session.scalars(
            select(EnrollmentRow).filter_by(learner_id=learner_id, course_id=course)
        ).one_or_none()
        if row is None:
            now = utcnow()
            session.add(
                EnrollmentRow(
                    id=new_id(),
                    learner_id=learner_id,
                    course_id=course,
                    course_version=1,
                    lesson_id=None,
                    part=0,
                    enrolled_at=now,
                    updated_at=now,
                    due_on=due,
                )
            )
            created += 1
        elif row.due_on != due:
            # A due date is not learning activity: keep updated_at (inactivity reminders).
            session.execute(
                update(EnrollmentRow)
                .where(EnrollmentRow.id == row.id)
                .values(due_on=due, updated_at=EnrollmentRow.updated_at)
                .execution_options(synchronize_session="fetch")
            )
    return created
