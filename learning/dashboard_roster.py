"""A roster upload on the dashboard: read and checked whole, previewed, then applied as previewed.

`preview` reads the file as `karmabot learners import` does (`learning.roster_parse`), matches
it against the store (`learning.roster.check`) and, for a supervisor, leaves out the rows
outside their subtree (`learning.dashboard_roster_scope`); it writes nothing. Its report lists
each problem by line (and column, when the message names one) and sums up what the import
would change. `apply` writes a preview's checked rows (`learning.roster.write`).

The CLI's default is the dashboard's: rows with a problem are left out and the rest imported.
Its `--strict` is the person's choice at the preview: they see every problem before anything
is written, and applying a file that has problems takes a button that says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from learning.dashboard_roster_scope import Subtree, conceal, refusals
from learning.models import EnrollmentRow
from learning.organisations import Reach
from learning.roster import COLUMNS, Checked, ImportReport, RosterRow, RowError, check, parse, write
from learning.roster_apply import changes
from learning.roster_plan import Entry, Plan, among
from learning.roster_tree import plan_tree

_COLUMN = re.compile(r"^([a-z_]+)(?:/([a-z_]+))?\b")


@dataclass(frozen=True)
class Problem:
    """One line of the report: where, what, and whether the row is left out."""

    line: int
    #: The column the message is about ("" when it names none).
    column: str
    message: str
    #: The row is not imported (else it is, without the part the message names).
    skipped: bool


@dataclass(frozen=True)
class Summary:
    """What applying the file would change."""

    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    organisations: int = 0
    enrollments: int = 0
    #: Enrollments whose due date (or batch) would move.
    moved: int = 0


@dataclass(frozen=True)
class Preview:
    """A checked upload: its problems, what it would change, and what would be written."""

    problems: tuple[Problem, ...]
    summary: Summary
    #: The rows to write; None when the file cannot be read as a whole.
    checked: Checked | None

    @property
    def writable(self) -> bool:
        """Whether applying would write anything."""
        return self.checked is not None and bool(self.checked.plan.entries)

    def fingerprint(self) -> str:
        """A digest of what the preview shows, to tell whether a later check still agrees."""
        shown = {"summary": asdict(self.summary), "problems": [asdict(p) for p in self.problems]}
        return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def column_of(message: str) -> str:
    """The roster column a problem's message starts with ("" if none)."""
    found = _COLUMN.match(message)
    if not found:
        return ""
    named = [name for name in found.groups() if name]
    return "/".join(named) if all(name in COLUMNS for name in named) else ""


def preview(
    sessions: sessionmaker[Session], reach: Reach, path: Path, languages: Collection[str]
) -> Preview:
    """Read, validate and match a roster file for `reach`; writes nothing."""
    rows, errors = parse(path, languages)
    if any(e.whole_file for e in errors):
        return Preview(tuple(_problems(errors, set())), Summary(), None)
    checked, refused = _checked(sessions, reach, rows)
    plan = checked.plan
    skipped = {e.line for e in errors + refused} | plan.skipped
    problems = _problems(errors + refused, skipped) + _problems(checked.errors, skipped)
    with sessions() as session:
        summary = _summary(session, plan, len(rows) + len({e.line for e in errors}), len(skipped))
    ordered = sorted(problems, key=lambda p: (p.line, not p.skipped))
    everything = sorted(errors + refused + checked.errors, key=lambda e: e.line)
    return Preview(tuple(ordered), summary, Checked(plan, checked.organisations, everything))


def apply(sessions: sessionmaker[Session], previewed: Preview) -> ImportReport:
    """Write the preview's rows (in short transactions, `learning.roster_apply`)."""
    if previewed.checked is None:
        raise ValueError("an unreadable file has nothing to write")
    return write(sessions, previewed.checked)


def _checked(
    sessions: sessionmaker[Session], reach: Reach, rows: Sequence[RosterRow]
) -> tuple[Checked, list[RowError]]:
    """The rows checked against the store, and those the actor may not import (left out)."""
    if reach.everyone:
        return check(sessions, rows), []
    with sessions() as session:
        subtree = Subtree.read(session, reach.root or "")
    remaining, refused = list(rows), []
    while True:  # leaving rows out can leave others without their new parent unit: again
        checked = check(sessions, remaining)
        found = refusals(subtree, checked.plan)
        if not found:
            break
        refused += found
        lines = {e.line for e in found}
        remaining = [r for r in remaining if r.line not in lines]
    shown = conceal(subtree, checked.plan, checked.errors, remaining)
    return Checked(checked.plan, checked.organisations, shown), refused


def _problems(errors: Sequence[RowError], skipped: set[int]) -> list[Problem]:
    return [
        Problem(e.line, column_of(e.message), e.message, e.whole_file or e.line in skipped)
        for e in errors
    ]


def _summary(session: Session, plan: Plan, rows: int, skipped: int) -> Summary:
    """What writing the plan would change, read from the store."""
    entries = plan.entries
    new = sum(e.stored is None for e in entries)
    updated = sum(e.stored is not None and _changes(e, plan) for e in entries)
    enrollments, moved = _enrollment_changes(session, entries)
    return Summary(
        rows=rows, new=new, updated=updated, unchanged=len(entries) - new - updated,
        skipped=skipped, organisations=len(plan_tree(session, plan.links()).new),
        enrollments=enrollments, moved=moved,
    )  # fmt: skip


def _changes(entry: Entry, plan: Plan) -> bool:
    """Whether a stored learner's columns or channel links change."""
    links = (("whatsapp", entry.row.phone), ("telegram", entry.row.telegram_id))
    linked = any(user and (channel, user) not in plan.known.links for channel, user in links)
    return linked or bool(changes(entry))


def _enrollment_changes(session: Session, entries: Sequence[Entry]) -> tuple[int, int]:
    """(mandatory enrollments that would be made, those whose due date or batch would move)."""
    stored = [e.id for e in entries if e.row.mandatory and e.stored is not None]
    table = cast(Table, EnrollmentRow.__table__).c
    existing = {
        (learner, course): (due, batch)
        for condition in among(session, table.learner_id, stored)
        for learner, course, due, batch in session.execute(
            select(table.learner_id, table.course_id, table.due_on, table.batch_id).where(condition)
        )
    }
    new = moved = 0
    for entry in entries:
        batches = dict(entry.row.batches)
        for course, due in entry.row.mandatory:
            found = existing.get((entry.id, course))
            batch = batches.get(course)
            if found is None:
                new += 1
            elif found[0] != due or (batch and found[1] != batch):
                moved += 1
    return new, moved
