"""What a supervisor's roster upload may touch: their own subtree, nothing outside it.

An admin may import anything. For a supervisor (reach: one organisation and the units below
it, `learning.organisations.reach_of`) a row is a problem, and left out, when it

- names no organisation, or one outside the subtree (a unit the file itself puts below the
  subtree, through `parent_organisation`, is inside);
- moves an organisation under a parent outside the subtree (a parent that is already the
  organisation's own is fine), or moves the supervisor's own organisation at all;
- matches a stored learner outside the subtree, or an admin (their row is an admin's to change);
- grants `access: admin` (a supervisor may grant `supervisor`, inside the subtree only).

Rows the plan refuses because their identities belong to a learner outside the subtree are
reported without that learner's name, and a `supervisor` cell naming someone outside the subtree
is reported as not found and not set: an upload is no way to read another unit's people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from learning.campaign_models import OrganisationRow
from learning.roster_parse import RosterRow, RowError
from learning.roster_plan import Entry, Plan

_ORGS = cast(Table, OrganisationRow.__table__)
OUTSIDE_LEARNER = (
    "phone/telegram: this phone, Telegram identity or platform_user_id belongs to a learner "
    "outside your organisation"
)


@dataclass(frozen=True)
class Subtree:
    """A supervisor's organisation and the units below it, as stored."""

    root: str
    inside: frozenset[str]
    #: Every stored organisation's parent (None for a top unit).
    parents: dict[str, str | None]

    @classmethod
    def read(cls, session: Session, root: str) -> Subtree:
        """The stored tree below `root` (empty when no such organisation exists)."""
        rows = list(session.execute(select(_ORGS.c.id, _ORGS.c.name, _ORGS.c.parent_id,
                                           _ORGS.c.path)))  # fmt: skip
        names = {row.id: row.name for row in rows}
        prefix = next((row.path for row in rows if row.name == root), None)
        inside = {row.name for row in rows if prefix and row.path.startswith(prefix)}
        return cls(root, frozenset(inside), {row.name: names.get(row.parent_id) for row in rows})

    def after(self, plan: Plan) -> set[str]:
        """The subtree once the file's new units are placed (a new unit whose parent, as the
        file names it first, is or comes to be inside)."""
        placed: dict[str, str] = {}
        for _, organisation, parent in plan.links():
            if organisation and parent and organisation not in self.parents:
                placed.setdefault(organisation, parent)
        inside = set(self.inside)
        grown = True
        while grown:
            grown = False
            for organisation, parent in placed.items():
                if organisation not in inside and parent in inside:
                    inside.add(organisation)
                    grown = True
        return inside

    def learner_inside(self, organisation: str | None) -> bool:
        """Whether a stored learner of `organisation` is in reach."""
        return organisation is not None and organisation in self.inside


def refusals(subtree: Subtree, plan: Plan) -> list[RowError]:
    """The plan's rows this supervisor may not import (each with why)."""
    inside = subtree.after(plan)
    found: list[RowError] = []
    for entry in plan.entries:
        message = _refusal(subtree, inside, entry)
        if message:
            found.append(RowError(entry.row.line, message))
    return found


def _refusal(subtree: Subtree, inside: set[str], entry: Entry) -> str | None:
    row, stored, root = entry.row, entry.stored, subtree.root
    if stored is not None and not subtree.learner_inside(stored.organisation):
        return OUTSIDE_LEARNER
    if stored is not None and stored.access == "admin":
        who = stored.name or "this learner"
        return f"access: {who} is an admin; only an admin may change their row"
    if row.access == "admin" and "access" in row.given:
        return "access 'admin' may only be given by an admin"
    if not row.organisation:
        return f"organisation is empty: the learner would be outside your organisation {root!r}"
    if row.organisation not in inside:
        return f"organisation {row.organisation!r} is outside your organisation {root!r}"
    parent = row.parent_organisation
    if parent and parent != subtree.parents.get(row.organisation):
        if row.organisation == root:
            return f"parent_organisation: only an admin may move your own organisation {root!r}"
        if parent not in inside:
            return f"parent_organisation {parent!r} is outside your organisation {root!r}"
    return None


def conceal(
    subtree: Subtree, plan: Plan, errors: Sequence[RowError], rows: Sequence[RosterRow]
) -> list[RowError]:
    """A check's problems as a supervisor may read them: a row matching learners outside the
    subtree says only that; a supervisor cell naming one is "not found", and is not set."""
    by_line = {row.line: row for row in rows}
    known = plan.known

    def outside(ids: set[str]) -> bool:
        return any(not subtree.learner_inside(known.learners[i].organisation) for i in ids)

    shown: list[RowError] = []
    for error in errors:
        row = by_line.get(error.line)
        if row is not None and error.line in plan.skipped:
            ids = known.find(row.phone, row.telegram_id, row.telegram_username)
            ids |= known.platform.get(row.platform_user_id or "", set())
            if outside(ids & known.learners.keys()):
                error = RowError(error.line, OUTSIDE_LEARNER)
        shown.append(error)
    in_file = {entry.id for entry in plan.entries}  # checked by `refusals` already
    for entry in plan.entries:
        boss = entry.supervisor
        if boss is not None and boss in known.learners and boss not in in_file and outside({boss}):
            entry.supervisor = None
            shown.append(RowError(entry.row.line, _not_found(entry.row.supervisor or "")))
    return sorted(shown, key=lambda e: e.line)


def _not_found(cell: str) -> str:
    """The plan's own words for a supervisor it cannot find (learning/roster_plan.py)."""
    return f"supervisor {cell!r} is not in the roster or the learner store"
