"""The roster's organisation tree, worked out in memory and written in a few statements.

The whole organisations table is read once (a department has thousands of units at most, not
millions), the file's (organisation, parent) links are applied in file order as
`learning.organisations.ensure` would, and only the rows whose parent or path changed are
written: new units in one multi-row INSERT, moves in one executemany UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from learning.campaign_models import OrganisationRow
from learning.models import utcnow

_ORGS = cast(Table, OrganisationRow.__table__)


@dataclass
class _Unit:
    id: int | None
    parent: str | None
    path: str


@dataclass
class Tree:
    """The tree after the file's links: what to create and who sits under whom."""

    units: dict[str, _Unit]
    new: list[str] = field(default_factory=list)
    #: Distinct organisations the file names (organisation and parent_organisation).
    named: int = 0
    #: (line, message) for each link that would have made a cycle (not made).
    cycles: list[tuple[int, str]] = field(default_factory=list)

    def _ensure(self, name: str) -> None:
        if name not in self.units:
            self.units[name] = _Unit(None, None, "")
            self.new.append(name)

    def _inside(self, name: str, root: str) -> bool:
        """Whether `name` is `root` or lies below it."""
        seen: set[str] = set()
        current: str | None = name
        while current is not None and current not in seen:
            if current == root:
                return True
            seen.add(current)
            current = self.units[current].parent
        return False

    def link(self, line: int, name: str, parent: str | None) -> None:
        """Ensure `name` (and `parent`), and put it under `parent` unless that makes a loop."""
        if parent is None:
            self._ensure(name)
            return
        self._ensure(parent)
        self._ensure(name)
        if self.units[name].parent == parent:
            return
        if self._inside(parent, name):
            self.cycles.append(
                (
                    line,
                    f"parent_organisation would make a cycle: {parent!r} is inside {name!r}; "
                    "it cannot be its parent",
                )
            )
            return
        self.units[name].parent = parent


def plan_tree(session: Session, links: Iterable[tuple[int, str | None, str | None]]) -> Tree:
    """The tree once each (line, organisation, parent) is applied in file order.

    Each organisation is linked to its parent once, on the first line that names the parent;
    an empty parent leaves the organisation where it is.
    """
    stored = session.execute(select(_ORGS.c.id, _ORGS.c.name, _ORGS.c.parent_id, _ORGS.c.path))
    rows = list(stored)
    names = {row.id: row.name for row in rows}
    tree = Tree({row.name: _Unit(row.id, names.get(row.parent_id), row.path) for row in rows})
    named: set[str] = set()
    linked: set[str] = set()
    for line, organisation, parent in links:
        if not organisation or (organisation in named and (not parent or organisation in linked)):
            continue
        named.update(filter(None, (organisation, parent)))
        if parent:
            linked.add(organisation)
        tree.link(line, organisation, parent)
    tree.named = len(named)
    return tree


def write_tree(session: Session, tree: Tree) -> None:
    """Create the new units, then set the parent and path of every unit that changed."""
    if tree.new:
        now = utcnow()
        created = session.execute(
            insert(_ORGS).returning(_ORGS.c.id, _ORGS.c.name),
            [{"name": n, "parent_id": None, "path": "/", "created_at": now} for n in tree.new],
        )
        for row in created:
            tree.units[row.name].id = row.id
    paths: dict[str, str] = {}

    def path_of(name: str) -> str:
        if name not in paths:
            unit = tree.units[name]
            above = path_of(unit.parent) if unit.parent else "/"
            paths[name] = f"{above}{unit.id}/"
        return paths[name]

    changes = [
        {"unit": unit.id, "parent": tree.units[unit.parent].id if unit.parent else None,
         "new_path": path_of(name)}
        for name, unit in tree.units.items()
        if path_of(name) != unit.path  # new, moved, or under a moved unit
    ]  # fmt: skip
    if changes:
        session.execute(
            update(_ORGS)
            .where(_ORGS.c.id == bindparam("unit"))
            .values(parent_id=bindparam("parent"), path=bindparam("new_path")),
            changes,
        )
