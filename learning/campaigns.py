"""Supervisor campaigns: create, preview, send (now, at a time, weekly), pause, resume, cancel.

Every action, allowed or refused, goes to the audit log. A supervisor reaches only the
learners of their own organisation subtree, an admin (or the operator's CLI) everyone, anyone
else no one. Sending plans one `sends` row per recipient when a run falls due
(`start_due`, called by the worker); the worker delivers them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_message import Message
from learning.campaign_models import AuditRow, CampaignRow, SendRow
from learning.cohort import Cohort, cohort_query
from learning.models import EnrollmentRow, LearnerRow, aware, new_id, utcnow
from learning.organisations import Reach, reach_of, within
from learning.schedule import parse_weekly
from learning.sends import SendQueue
from learning.store import Clock, core_rows

# The worker's polls, built once and read without a transaction around them (D34): campaigns
# whose run has fallen due, and campaigns sending (all, or one).
_DUE = select(CampaignRow.id).where(
    CampaignRow.status == "scheduled", CampaignRow.next_run_at <= bindparam("now")
)
_SENDING = select(CampaignRow.id).where(CampaignRow.status == "sending")
_SENDING_ONE = _SENDING.where(CampaignRow.id == bindparam("campaign_id"))

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATUSES = ("draft", "scheduled", "sending", "paused", "cancelled", "done")


class NotAllowed(PermissionError):
    """The actor may not do that (recorded in the audit log)."""


class CampaignNotFound(KeyError):
    """No campaign has that id."""


class CampaignStateError(ValueError):
    """The campaign is not in a state that allows this."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: the operator's CLI, or a learner with supervisor or admin access."""

    label: str
    reach: Reach
    learner_id: str | None = None

    @classmethod
    def operator(cls) -> Actor:
        """The operator at the server's command line: an admin."""
        return cls("cli", Reach(everyone=True))

    @property
    def is_admin(self) -> bool:
        """True when the actor reaches everyone."""
        return self.reach.everyone


@dataclass(frozen=True)
class Campaign:
    """A campaign, as plain values."""

    id: str
    name: str
    owner_id: str | None
    scope: str | None
    cohort: Cohort
    message: Message
    status: str
    schedule: str
    next_run_at: datetime | None
    runs: int
    created_at: datetime

    @property
    def reach(self) -> Reach:
        """The reach the campaign was created with."""
        return Reach(root=self.scope) if self.scope else Reach(everyone=True)


def _campaign(row: CampaignRow) -> Campaign:
    return Campaign(
        row.id, row.name, row.owner_id, row.scope, Cohort.from_json(row.filters),
        Message.from_json(row.message), row.status, row.schedule, aware(row.next_run_at),
        row.runs, aware(row.created_at) or row.created_at,
    )  # fmt: skip


def actor_for(sessions: sessionmaker[Session], learner_id: str, label: str) -> Actor:
    """The actor a learner is (their access and organisation decide their reach)."""
    with sessions() as session:
        learner = session.get(LearnerRow, learner_id)
        if learner is None:
            return Actor(label, Reach(), learner_id)
        return Actor(label, reach_of(learner.access, learner.organisation), learner_id)


def is_weekly(schedule: str) -> bool:
    """Whether a schedule repeats weekly ("weekly mon 09:30", "mon 09:30")."""
    return schedule.strip().lower().startswith(("weekly", *WEEKDAYS))


def next_run(schedule: str, now: datetime) -> datetime:
    """When a schedule ("now", an ISO time, "weekly mon 09:30") next falls due."""
    text = schedule.strip().lower()
    if text in ("", "now"):
        return now
    if is_weekly(text):
        return parse_weekly(text).next_run(now - _EPSILON)
    moment = datetime.fromisoformat(schedule.strip())
    if moment.tzinfo is None:
        raise ValueError("give the time with its offset, e.g. 2026-12-05T09:00+05:30")
    return moment


class Campaigns:
    """The campaign service.

    Args:
        sessions: The learner store.
        queue: The send queue runs are planned into.
        clock: The current time.
    """

    def __init__(
        self, sessions: sessionmaker[Session], queue: SendQueue, clock: Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._queue = queue
        self._clock = clock

    def create(
        self, actor: Actor, name: str, cohort: Cohort, message: Message, schedule: str = "now"
    ) -> Campaign:
        """A new draft campaign (nothing is sent until `send`)."""
        next_run(schedule, self._clock())  # refuse a bad schedule now, not when it falls due
        with self._sessions.begin() as session:
            if actor.reach.nobody or (
                cohort.organisation and not within(session, actor.reach, cohort.organisation)
            ):
                self._audit(session, actor, "create", None, False, {"name": name})
                session.commit()  # the refusal stays in the audit log
                raise NotAllowed("create")
            row = CampaignRow(
                id=new_id(), name=name[:200], owner_id=actor.learner_id, scope=actor.reach.root,
                filters=cohort.to_json(), message=message.to_json(), status="draft",
                schedule=schedule or "now", next_run_at=None, runs=0,
                created_at=self._clock(), updated_at=self._clock(),
            )  # fmt: skip
            session.add(row)
            session.flush()
            self._audit(
                session, actor, "create", row.id, True, {"name": name, "filters": cohort.describe()}
            )
            return _campaign(row)

    def get(self, actor: Actor, campaign_id: str, action: str = "view") -> Campaign:
        """A campaign the actor may see (its owner, or an admin)."""
        with self._sessions.begin() as session:
            return _campaign(self._owned(session, actor, campaign_id, action))

    def all(self, actor: Actor) -> list[Campaign]:
        """The actor's campaigns, newest first (all of them for an admin)."""
        query = select(CampaignRow).order_by(CampaignRow.created_at.desc())
        if not actor.is_admin:
            query = query.where(CampaignRow.owner_id == (actor.learner_id or ""))
        with self._sessions() as session:
            return [_campaign(row) for row in session.scalars(query)]

    def find(self, campaign_id: str) -> Campaign | None:
        """A campaign by id, for the worker (no actor, not audited)."""
        with self._sessions() as session:
            row = session.get(CampaignRow, campaign_id)
            return _campaign(row) if row is not None else None

    def sending(self, campaign_ids: Collection[str]) -> set[str]:
        """Which of these campaigns are sending now (not paused, cancelled or gone)."""
        with self._sessions() as session:
            query = select(CampaignRow.id).where(
                CampaignRow.id.in_(list(campaign_ids)), CampaignRow.status == "sending"
            )
            return set(session.scalars(query))

    def recipients(self, campaign: Campaign, session: Session | None = None) -> Any:
        """The cohort query of a campaign, within the reach it was created with (with a
        session, its subtrees are read first and bound: `learning.organisations.in_subtree`)."""
        return cohort_query(campaign.cohort, campaign.reach, self._clock(), session)

    def sample(self, campaign: Campaign) -> dict[tuple[str, str | None, str | None], int]:
        """(language, channel, exclusion reason) → learners, for a preview."""
        with self._sessions() as session:
            rows = session.execute(self.recipients(campaign, session))
            return dict(Counter((r.language, r.channel, r.reason) for r in rows))

    def preview(
        self, actor: Actor, campaign_id: str
    ) -> tuple[Campaign, dict[tuple[str, str | None, str | None], int]]:
        """The campaign and its recipient counts (audited)."""
        campaign = self.get(actor, campaign_id, "preview")
        return campaign, self.sample(campaign)

    def send(self, actor: Actor, campaign_id: str) -> Campaign:
        """Confirm a draft: it runs at its schedule (now, at a time, or weekly)."""
        with self._sessions.begin() as session:
            row = self._owned(session, actor, campaign_id, "send")
            if row.status != "draft":
                raise CampaignStateError(f"campaign is {row.status}, not a draft")
            row.status, row.next_run_at = "scheduled", next_run(row.schedule, self._clock())
            return _campaign(row)

    def pause(self, actor: Actor, campaign_id: str) -> Campaign:
        """Stop sending at once; `resume` picks up where it stopped."""
        return self._switch(actor, campaign_id, "pause", ("scheduled", "sending"), "paused")

    def resume(self, actor: Actor, campaign_id: str) -> Campaign:
        """Send again after a pause."""
        campaign = self._switch(actor, campaign_id, "resume", ("paused",), "sending")
        self.settle(campaign.id)
        return self.get(actor, campaign.id, "view")

    def cancel(self, actor: Actor, campaign_id: str) -> Campaign:
        """Stop for good: what has not gone yet never will."""
        campaign = self._switch(
            actor, campaign_id, "cancel", ("draft", "scheduled", "sending", "paused"), "cancelled"
        )
        with self._sessions.begin() as session:
            session.execute(
                update(SendRow)
                .where(SendRow.campaign_id == campaign.id, SendRow.status == "queued")
                .values(status="cancelled", reason="cancelled")
            )
            session.execute(update(CampaignRow).filter_by(id=campaign.id).values(next_run_at=None))
        return campaign

    def start_due(self) -> list[tuple[str, int]]:
        """Plan every run that has fallen due; returns (campaign id, recipients queued)."""
        now = self._clock()
        planned: list[tuple[str, int]] = []
        due = [row.id for row in core_rows(self._sessions, _DUE, now=now)]
        for campaign_id in due:
            with self._sessions.begin() as session:
                row = session.get(CampaignRow, campaign_id, with_for_update=True)
                if (
                    row is None
                    or row.status != "scheduled"
                    or (aware(row.next_run_at) or now) > now
                ):
                    continue  # another worker got there first
                campaign = _campaign(row)
                row.runs += 1
                count = self._queue.plan(
                    session,
                    self.recipients(campaign, session),
                    kind="campaign",
                    campaign_id=row.id,
                    run=row.runs,
                )
                if campaign.message.due_date and campaign.message.course:
                    _set_due(session, self.recipients(campaign, session), campaign.message)
                weekly = is_weekly(row.schedule)
                row.next_run_at = next_run(row.schedule, now + _EPSILON) if weekly else None
                row.status = "sending"
                self._audit(
                    session,
                    Actor("worker", Reach(everyone=True)),
                    "run",
                    row.id,
                    True,
                    {"run": row.runs, "queued": count},
                )
                planned.append((row.id, count))
        return planned

    def settle(self, campaign_id: str | None = None) -> None:
        """Campaigns whose sends are all finished become done (or wait for their next run)."""
        if campaign_id:
            ids = [r.id for r in core_rows(self._sessions, _SENDING_ONE, campaign_id=campaign_id)]
        else:
            ids = [r.id for r in core_rows(self._sessions, _SENDING)]
        for cid in ids:
            if self._queue.pending(cid):
                continue
            with self._sessions.begin() as session:
                row = session.get(CampaignRow, cid)
                if row is not None and row.status == "sending":
                    row.status = "scheduled" if row.next_run_at else "done"

    def audit_trail(self, campaign_id: str) -> list[tuple[datetime, str, str, bool]]:
        """(when, who, what, allowed) for a campaign, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(AuditRow).filter_by(campaign_id=campaign_id).order_by(AuditRow.id)
            )
            return [(aware(r.at) or r.at, r.actor, r.action, r.allowed) for r in rows]

    def _switch(
        self, actor: Actor, campaign_id: str, action: str, allowed: tuple[str, ...], status: str
    ) -> Campaign:
        with self._sessions.begin() as session:
            row = self._owned(session, actor, campaign_id, action)
            if row.status not in allowed:
                raise CampaignStateError(f"campaign is {row.status}; cannot {action}")
            row.status = status
            return _campaign(row)

    def _owned(self, session: Session, actor: Actor, campaign_id: str, action: str) -> CampaignRow:
        row = session.get(CampaignRow, campaign_id)
        if row is None:
            raise CampaignNotFound(campaign_id)
        mine = actor.is_admin or (actor.learner_id is not None and row.owner_id == actor.learner_id)
        self._audit(session, actor, action, campaign_id, mine)
        if not mine:
            session.commit()  # the refusal stays in the audit log
            raise NotAllowed(action)
        return row

    def _audit(
        self,
        session: Session,
        actor: Actor,
        action: str,
        campaign_id: str | None,
        allowed: bool,
        detail: dict[str, Any] | None = None,
    ) -> None:
        text = json.dumps(detail, ensure_ascii=False) if detail else None
        row = AuditRow(at=self._clock(), actor=actor.label, action=action,
                       campaign_id=campaign_id, allowed=allowed, detail=text)  # fmt: skip
        session.add(row)


#: A weekly run planned now must not be found due again at once.
_EPSILON = timedelta(seconds=1)


def _set_due(session: Session, recipients: Any, message: Message) -> None:
    """Give the cohort's enrollments in the course the campaign's due date (mandatory)."""
    ids = select(recipients.subquery().c.learner_id)
    session.execute(
        update(EnrollmentRow)
        .where(EnrollmentRow.course_id == message.course, EnrollmentRow.learner_id.in_(ids))
        .values(due_on=message.due_date, updated_at=EnrollmentRow.updated_at)  # not activity
    )
