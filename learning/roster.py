"""Roster import: learners from a CSV file, checked as a whole, written in short transactions.

Files: UTF-8 with or without a byte order mark, UTF-16 with one, or Windows-1252 (Latin-1);
comma, semicolon (Excel in many locales) or tab separated (`learning.roster_file`). A file
that cannot be read (its encoding, its header) imports nothing and says why in one line.

Columns (header row required, any order; only ``name`` is required): ``name, phone, telegram,
organisation, role, supervisor, language`` and the optional ``parent_organisation, access,
timezone, mandatory, platform_user_id, email``.

- ``telegram`` is a numeric Telegram user id or an ``@username``; a row needs a name and a phone
  or Telegram identity. A learner is found again by phone, Telegram id or Telegram username, so
  a re-import updates learners and never duplicates them.
- ``name``, ``organisation``, ``parent_organisation`` and ``role`` hold at most 200 characters
  (the store's columns). A longer value, or one whose letters a legacy export replaced with
  '?', is a row error: it is neither cut nor stored garbled.
- ``supervisor`` is the supervisor's phone or Telegram id/username, from the same file or
  already imported.
- ``organisation`` is ensured in the organisation tree; ``parent_organisation`` (needs an
  organisation on the row) puts it under that parent, which is ensured too, and a re-import
  moves it. One file gives an organisation one parent; an empty cell leaves the parent as it
  is. Links are made in file order, and a link that would make a cycle is reported on the line
  that closes it: that learner is still imported, the tree is left as it was.
- ``access``: ``learner``, ``supervisor`` or ``admin`` (any case; empty means learner).
- ``timezone``: an IANA zone name such as ``Asia/Kolkata``; empty means the deployment default.
- ``platform_user_id``: the learner's own user id on the learning platform (Sunbird/iGOT).
  Two learners never share one: an id another stored learner holds is a row error. An empty
  cell, or a file without the column, leaves the stored id as it is; a new id replaces it.
- ``email``: the learner's email address, checked for its form and stored lower-cased (no
  mail is sent; `karmabot supervisors invite` and the other commands that name a person accept
  it). Like the platform user id it is never shared, and an empty cell keeps the stored one.
- ``mandatory``: ``course-id:YYYY-MM-DD[:batch-id]`` entries separated by ``;``. Each enrolls
  the learner (if not yet) and sets the enrollment's due date; a re-import moves the date. The
  optional batch id (Sunbird's batch of that course) is stored with the enrollment; an entry
  without one leaves the enrollment's batch as it is. A course left out keeps its enrollment,
  due date and batch. Course ids are only checked for their form, not against the content
  library (the learner store has no access to it): a mistyped id makes an enrollment in no
  course, so take the ids from the content folder's course directories.

A file without the ``access`` or ``timezone`` column leaves those fields as they are (an older
roster does not demote anyone); with the column, an empty cell sets the default.

Bad rows. The whole file is read, validated and matched against the store before anything is
written. A bad cell, an identity given twice in the file, a row whose identities belong to two
stored learners, or to the learner of an earlier row, is reported by line and the row is left
out; the other rows are imported (``strict=True``, ``--strict`` on the command line: nothing
is imported while there is any problem). A supervisor that cannot be found, or an organisation
link that would make a cycle, is reported on its line and the learner is still imported.

Writing (`learning.roster_apply`): the organisation tree in one transaction, then the learners
in transactions of about 50 ms each, so learners chatting during a large import wait
milliseconds, not minutes. An import cut off midway keeps the chunks it committed; running it
again completes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from learning.models import ChannelLinkRow, LearnerRow
from learning.roster_apply import Progress, apply
from learning.roster_parse import COLUMNS, RosterRow, RowError, normalise_phone, parse
from learning.roster_parse import identity as read_identity
from learning.roster_plan import Plan, plan
from learning.roster_tree import plan_tree

__all__ = [
    "COLUMNS", "Checked", "ImportReport", "RosterRow", "RowError", "check", "find_learner",
    "import_rows", "normalise_phone", "parse", "write",
]  # fmt: skip


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: Distinct organisations the imported rows name (organisation and parent_organisation).
    organisations: int = 0
    #: Valid rows left out after matching them against the store (their errors say why).
    skipped: int = 0


@dataclass(frozen=True)
class Checked:
    """Rows matched against the store: what an import will write, and every problem found."""

    plan: Plan
    organisations: int
    errors: list[RowError]


def check(sessions: sessionmaker[Session], rows: Sequence[RosterRow]) -> Checked:
    """Match valid rows to stored learners, resolve supervisors, plan the tree; writes nothing."""
    with sessions() as session:
        planned = plan(session, rows)
        tree = plan_tree(session, planned.links())
    errors = planned.errors + [RowError(line, message) for line, message in tree.cycles]
    return Checked(planned, tree.named, sorted(errors, key=lambda e: e.line))


def write(
    sessions: sessionmaker[Session],
    checked: Checked,
    *,
    chunk: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Write a checked roster in short transactions (`learning.roster_apply`)."""
    apply(sessions, checked.plan, chunk=chunk, progress=progress)
    new = sum(entry.stored is None for entry in checked.plan.entries)
    return ImportReport(
        created=new,
        updated=len(checked.plan.entries) - new,
        errors=list(checked.errors),
        organisations=checked.organisations,
        skipped=len(checked.plan.skipped),
    )


def import_rows(
    sessions: sessionmaker[Session],
    rows: Sequence[RosterRow],
    *,
    strict: bool = False,
    chunk: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update a learner per valid row; with `strict`, nothing if anything is wrong."""
    checked = check(sessions, list(rows))
    if strict and checked.errors:
        return ImportReport(errors=checked.errors, skipped=len(rows))
    return write(sessions, checked, chunk=chunk, progress=progress)


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


def find_learner(sessions: sessionmaker[Session], identity: str) -> str | None:
    """The id of the learner an email address, phone number, Telegram id or @username (or
    learner id) names."""
    with sessions() as session:
        if session.get(LearnerRow, identity.strip()) is not None:
            return identity.strip()
        if "@" in identity.strip()[1:]:  # an email address (an @username starts with it)
            email = identity.strip().lower()
            return session.scalar(select(LearnerRow.id).where(LearnerRow.email == email))
        learner = _find(session, *read_identity(identity))
        return learner.id if learner is not None else None
