"""The organisation tree (imported with the roster) and who may reach whom.

Each organisation stores its materialised path ("/1/4/9/"), so "this unit and everything
under it" is one indexed prefix query at any depth. A supervisor reaches the learners of their
own organisation's subtree; an admin reaches everyone; anyone else reaches no one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from learning.campaign_models import OrganisationRow
from learning.models import LearnerRow, utcnow

ACCESS_LEVELS = ("learner", "supervisor", "admin")
#: Subtrees of at most this many organisations are bound into queries as a list of names.
BOUND_NAMES = 2_000


class OrganisationCycle(ValueError):
    """A parent link would make the tree a loop."""


@dataclass(frozen=True)
class Reach:
    """Whom an actor may target: everyone (`everyone`), one subtree (`root`), or no one."""

    everyone: bool = False
    root: str | None = None

    @property
    def nobody(self) -> bool:
        """True for a plain learner (no campaigns at all)."""
        return not self.everyone and self.root is None


def reach_of(access: str, organisation: str | None) -> Reach:
    """An actor's reach from their access level and organisation."""
    if access == "admin":
        return Reach(everyone=True)
    if access == "supervisor" and organisation:
        return Reach(root=organisation)
    return Reach()


def reaching_learner(
    session: Session, learner_id: str, purpose: str, refused: type[Exception] = PermissionError
) -> LearnerRow:
    """The learner, when they reach someone: an admin, or a supervisor with an organisation.

    Args:
        session: An open session.
        learner_id: Who.
        purpose: What they would be allowed ("hold an admin API token"), for the refusal.
        refused: The exception to raise, with a message saying what to change.
    """
    learner = session.get(LearnerRow, learner_id)
    if learner is None:
        raise refused(f"no learner has id {learner_id!r}")
    if reach_of(learner.access, learner.organisation).nobody:
        lacks = "" if learner.organisation else " and no organisation"
        raise refused(
            f"{learner.name or learner_id} has access {learner.access!r}{lacks}: only admins, "
            f"and supervisors with an organisation, may {purpose}. Set `access` (and "
            "`organisation`) in the roster and import it again."
        )
    return learner


def ensure(session: Session, name: str, parent: str | None = None) -> OrganisationRow:
    """The organisation called `name`, created if new and moved under `parent` if given.

    Raises:
        OrganisationCycle: when `parent` is `name` itself or lies in its subtree.
    """
    if parent == name:
        raise OrganisationCycle(f"{name!r} cannot be its own parent")
    row = session.scalars(select(OrganisationRow).filter_by(name=name)).one_or_none()
    parent_row = ensure(session, parent) if parent else None
    if row is None:
        row = OrganisationRow(name=name, parent_id=None, path="/", created_at=utcnow())
        session.add(row)
        session.flush()  # the id is part of the path
        row.path = f"/{row.id}/"
    if parent_row is not None and row.parent_id != parent_row.id:
        if parent_row.path.startswith(row.path):
            raise OrganisationCycle(f"{parent!r} is inside {name!r}; it cannot be its parent")
        _move(session, row, parent_row)
    return row


def _move(session: Session, row: OrganisationRow, parent: OrganisationRow) -> None:
    old = row.path
    new = f"{parent.path}{row.id}/"
    for member in session.scalars(
        select(OrganisationRow).where(OrganisationRow.path.startswith(old, autoescape=True))
    ):
        member.path = new + member.path[len(old) :]
    row.parent_id = parent.id


def subtree_names(root: str) -> Select[Any]:
    """A query for the names of `root` and every organisation below it."""
    prefix = select(OrganisationRow.path).where(OrganisationRow.name == root).scalar_subquery()
    return select(OrganisationRow.name).where(OrganisationRow.path.startswith(prefix))


def in_subtree(
    column: InstrumentedAttribute[str | None], root: str, session: Session | None = None
) -> ColumnElement[bool]:
    """`column` names `root` or an organisation below it.

    With a session, the subtree's names are read first and bound as a list (up to
    `BOUND_NAMES`): PostgreSQL then estimates the rows from each name's statistics, where it
    guesses a subquery's share of the table blindly (a ministry of 25,000 learners estimated at
    800, and joined by nested loops). The answer is the same either way.
    """
    if session is not None:
        names = list(session.scalars(subtree_names(root).limit(BOUND_NAMES + 1)))
        if len(names) <= BOUND_NAMES:
            return column.in_(names)
    return column.in_(subtree_names(root))


def in_reach(reach: Reach, session: Session | None = None) -> ColumnElement[bool]:
    """A SQL condition on `LearnerRow` for the learners `reach` covers (`in_subtree` says what
    the session is for)."""
    if reach.everyone:
        return LearnerRow.id.is_not(None)
    if reach.root is None:
        return LearnerRow.id.is_(None)
    return in_subtree(LearnerRow.organisation, reach.root, session)


def within(session: Session, reach: Reach, organisation: str) -> bool:
    """Whether `organisation` lies inside the reach (an admin's reach holds every name)."""
    if reach.everyone:
        return True
    if reach.root is None:
        return False
    return organisation in set(session.scalars(subtree_names(reach.root)))


def import_tree(session: Session, pairs: Iterable[tuple[str, str | None]]) -> int:
    """Create or re-parent organisations from (name, parent) pairs; returns how many named."""
    count = 0
    for name, parent in pairs:
        ensure(session, name, parent)
        count += 1
    return count
