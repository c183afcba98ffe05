"""The delivery queue: one `sends` row per recipient, claimed by workers, each sent exactly once.

A row moves queued → claimed (a worker holds it under a lease) → sending (committed just
before the channel call) → sent, failed, skipped or back to queued for a retry. The `sending`
mark is the write-ahead record: if a worker dies, its `claimed` rows were never tried and go
back to the queue, while its `sending` rows may or may not have reached the learner and become
`unknown`, never sent again on their own (a duplicate reminder is worse than a missing one).
Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers share the queue without waiting
for each other; SQLite has one writer at a time and runs one worker.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, and_, bindparam, case, func, literal, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import CampaignRow, SendRow
from learning.channel_models import OutboundMessageRow
from learning.models import ChannelLinkRow, LearnerRow, aware, utcnow
from learning.store import Clock, _insert, core_rows, insert_once, skip_duplicates

Outcome = Literal["sent", "failed", "skipped", "retry", "defer"]
#: Statuses after which nothing more happens to a send.
FINAL = ("sent", "failed", "skipped", "unknown", "cancelled")


@dataclass(frozen=True)
class Recipient:
    """The learner a claimed send goes to, as the worker needs them."""

    id: str
    name: str | None
    language: str
    script: str
    timezone: str | None
    reminders_enabled: bool
    organisation: str | None
    channel_user_id: str | None


@dataclass(frozen=True)
class Send:
    """A claimed send."""

    id: int
    key: str
    kind: str
    campaign_id: str | None
    run: int
    channel: str | None
    attempts: int
    payload: dict[str, Any]
    learner: Recipient


@dataclass(frozen=True)
class Result:
    """What became of one send.

    Attributes:
        outcome: sent; failed (for good); skipped (with a reason); retry (after `at`); defer
            (not yet: quiet hours, with `at`; the attempt is not counted).
    """

    send_id: int
    outcome: Outcome
    reason: str | None = None
    at: datetime | None = None
    message_ids: Sequence[str] = ()
    error: str | None = None
    #: (channel, learner id, kind, campaign id): log the message ids in `outbound_messages`
    #: in the same transaction (when the sender did not log them itself).
    log: tuple[str, str, str, str | None] | None = None


@dataclass
class Planned:
    """What planning queued."""

    queued: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


class SendQueue:
    """The `sends` table as a work queue.

    Args:
        sessions: The learner store.
        clock: The current time.
        worker: This worker's name (a restarted worker recovers its own rows at once).
        lease: How long a claim holds before another worker may recover it.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock = utcnow,
        worker: str = "worker",
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.worker = worker
        self._lease = lease

    def plan(
        self,
        session: Session,
        cohort: Select[Any],
        *,
        kind: str,
        campaign_id: str,
        run: int,
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Queue one send per learner of `cohort` (learner_id, language, channel, reason) in
        the caller's transaction; excluded learners get a skipped row with the reason. One
        `INSERT … SELECT`, idempotent on (campaign, run, learner). Returns the run's rows."""
        now = self._clock()
        c = cohort.subquery("recipients")
        key = literal(f"campaign:{campaign_id}:{run}:") + c.c.learner_id
        rows = select(
            key, literal(kind), literal(campaign_id), literal(run), c.c.learner_id,
            literal(json.dumps(payload) if payload else None), c.c.reason,
            _status_of(c.c.reason), c.c.channel, literal(0), literal(now), literal(now),
        ).where(c.c.learner_id.is_not(None))  # fmt: skip  # SQLite: a WHERE before ON CONFLICT
        columns = [
            "key", "kind", "campaign_id", "run", "learner_id", "payload", "reason", "status",
            "channel", "attempts", "not_before", "created_at",
        ]  # fmt: skip
        statement = _insert(session)(SendRow).from_select(columns, rows).on_conflict_do_nothing()
        session.execute(statement)
        # psycopg reports no row count for INSERT … SELECT: count the run instead.
        counted = select(func.count()).where(SendRow.campaign_id == campaign_id, SendRow.run == run)
        return session.scalar(counted) or 0

    def enqueue(
        self,
        key: str,
        kind: str,
        learner_id: str,
        channel: str | None,
        payload: dict[str, Any],
        not_before: datetime | None = None,
    ) -> bool:
        """Queue one nudge under its natural key; False if that key was queued before."""
        now = self._clock()
        values = {
            "key": key, "kind": kind, "campaign_id": None, "run": 0, "learner_id": learner_id,
            "payload": json.dumps(payload, ensure_ascii=False), "status": "queued",
            "reason": None if channel else "no_channel", "channel": channel, "attempts": 0,
            "not_before": not_before or now, "created_at": now,
        }  # fmt: skip
        if channel is None:
            values["status"] = "skipped"
        with self._sessions.begin() as session:
            return insert_once(session, SendRow, values)

    def claim(self, limit: int, channels: Collection[str]) -> list[Send]:
        """Take up to `limit` due sends for these channels (sending campaigns and nudges)."""
        now, channels = self._clock(), list(channels)
        # A read first (one statement, no transaction): an idle queue takes no write lock.
        if not core_rows(self._sessions, _ANY_DUE, now=now, channels=channels):
            return []
        due = _DUE.params(now=now, channels=channels).limit(limit)
        with self._sessions.begin() as session:
            ids = list(
                session.scalars(
                    update(SendRow)
                    .where(SendRow.id.in_(due.with_for_update(skip_locked=True).scalar_subquery()))
                    .values(status="claimed", worker=self.worker, lease_until=now + self._lease)
                    .returning(SendRow.id)
                )
            )
            if not ids:
                return []
            return _load(session, ids)

    def mark_sending(self, ids: Sequence[int]) -> None:
        """The write-ahead mark, committed just before these sends go to the channel."""
        self.write(ids, ())

    def finish(self, results: Sequence[Result]) -> None:
        """Record what became of sends (one transaction)."""
        self.write((), results)

    def write(self, marks: Sequence[int], results: Sequence[Result]) -> None:
        """Write-ahead marks for sends about to go and the results of sends that went, in one
        transaction (a busy worker's two kinds of write share its commits)."""
        if not marks and not results:
            return
        now = self._clock()
        sent = [r for r in results if r.outcome == "sent"]
        others = [r for r in results if r.outcome != "sent"]
        with self._sessions.begin() as session:
            connection = session.connection()
            if marks:
                connection.execute(_MARK, {"ids": list(marks)})
            if sent:
                rows = [{"b_id": r.send_id, "sent_at": now,
                         "message_ids": json.dumps(list(r.message_ids))} for r in sent]  # fmt: skip
                connection.execute(_SENT, rows)
            if others:
                session.execute(update(SendRow), [_finished(r, now) for r in others])
            logged = [
                {"channel": r.log[0], "message_id": message_id, "learner_id": r.log[1],
                 "kind": r.log[2], "campaign_id": r.log[3], "created_at": now, "sent_at": now,
                 "permanent": False}
                for r in results if r.log for message_id in r.message_ids
            ]  # fmt: skip
            if logged:
                log = skip_duplicates(OutboundMessageRow, connection.dialect.name)
                connection.execute(log, logged)

    def release(self, ids: Sequence[int]) -> None:
        """Give claimed sends back untried (their campaign was paused or cancelled)."""
        if ids:
            with self._sessions.begin() as session:
                session.execute(
                    update(SendRow)
                    .where(SendRow.id.in_(ids), SendRow.status == "claimed")
                    .values(status="queued", worker=None, lease_until=None)
                )

    def recover(self, *, mine: bool = True) -> tuple[int, int]:
        """After a crash: claimed rows go back to the queue, `sending` rows become unknown.

        Args:
            mine: Recover this worker's own rows whatever their lease (at start-up); otherwise
                any worker's rows whose lease ran out.

        Returns:
            (requeued, unknown)
        """
        now = self._clock()
        owner = SendRow.worker == self.worker if mine else SendRow.lease_until < now
        with self._sessions.begin() as session:
            requeued = _rowcount(
                session.execute(
                    update(SendRow)
                    .where(SendRow.status == "claimed", owner)
                    .values(status="queued", worker=None, lease_until=None)
                )
            )
            unknown = _rowcount(
                session.execute(
                    update(SendRow)
                    .where(SendRow.status == "sending", owner)
                    .values(status="unknown", reason="worker_stopped", lease_until=None)
                )
            )
        return requeued, unknown

    def sent_since(self, learner_id: str, since: datetime) -> list[datetime]:
        """When this learner was sent unprompted messages since `since` (the daily cap)."""
        with self._sessions() as session:
            times = session.scalars(
                select(SendRow.sent_at).where(
                    SendRow.learner_id == learner_id,
                    SendRow.status == "sent",
                    SendRow.sent_at >= since,
                )
            )
            return [t for t in (aware(t) for t in times) if t is not None]

    def counts(self, campaign_id: str) -> dict[tuple[str, str | None], int]:
        """(status, reason) → number of sends of a campaign, all runs."""
        with self._sessions() as session:
            rows = session.execute(
                select(SendRow.status, SendRow.reason, func.count())
                .where(SendRow.campaign_id == campaign_id)
                .group_by(SendRow.status, SendRow.reason)
            )
            return {(status, reason): n for status, reason, n in rows}

    def pending(self, campaign_id: str) -> int:
        """Sends of a campaign not finished yet."""
        with self._sessions() as session:
            return (
                session.scalar(
                    select(func.count()).where(
                        SendRow.campaign_id == campaign_id, SendRow.status.not_in(FINAL)
                    )
                )
                or 0
            )


def _rowcount(result: Any) -> int:
    """Rows an UPDATE or INSERT touched."""
    return int(result.rowcount or 0)


def _status_of(reason: Any) -> Any:
    return case((reason.is_(None), literal("queued")), else_=literal("skipped"))


# Due sends, oldest first: queued, their time come, for the channels given, and of a sending
# campaign or none (a nudge). The worker's idle poll reads whether there is one, as a single
# statement with no transaction around it (D34).
_DUE = (
    select(SendRow.id)
    .where(
        SendRow.status == "queued",
        SendRow.not_before <= bindparam("now"),
        SendRow.channel.in_(bindparam("channels", expanding=True)),
        or_(
            SendRow.campaign_id.is_(None),
            SendRow.campaign_id.in_(select(CampaignRow.id).where(CampaignRow.status == "sending")),
        ),
    )
    .order_by(SendRow.not_before, SendRow.id)
)
_ANY_DUE = _DUE.limit(1)

# The hot writes of a busy worker, built once (Core statements: no ORM bookkeeping per row).
_SENDS = SendRow.__table__.c
_MARK = (
    update(SendRow.__table__)  # type: ignore[arg-type]
    .where(_SENDS.id.in_(bindparam("ids", expanding=True)))
    .values(status="sending", attempts=_SENDS.attempts + 1)
)
_SENT = (
    update(SendRow.__table__)  # type: ignore[arg-type]
    .where(_SENDS.id == bindparam("b_id"))
    .values(
        status="sent",
        reason=None,
        lease_until=None,
        sent_at=bindparam("sent_at"),
        message_ids=bindparam("message_ids"),
    )
)


def _finished(result: Result, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {"id": result.send_id, "lease_until": None}
    if result.outcome == "sent":
        row |= {
            "status": "sent",
            "reason": None,
            "sent_at": now,
            "message_ids": json.dumps(list(result.message_ids)),
        }
    elif result.outcome in ("failed", "skipped"):
        row |= {"status": result.outcome, "reason": result.reason, "error": result.error}
    else:  # retry or defer: back in the queue until `at`
        row |= {"status": "queued", "not_before": result.at or now, "reason": result.reason,
                "error": result.error, "worker": None}  # fmt: skip
    return row


def _load(session: Session, ids: Sequence[int]) -> list[Send]:
    """The claimed sends with their recipients: plain columns, no ORM objects (a busy worker
    loads hundreds a second)."""
    found: dict[int, Send] = {}
    for row in session.execute(_LOAD, {"ids": list(ids)}):
        if row.id in found:
            continue  # two links on one channel: the first is enough
        recipient = Recipient(
            row.learner_id, row.name, row.language, row.script, row.timezone,
            row.reminders_enabled, row.organisation, row.channel_user_id,
        )  # fmt: skip
        found[row.id] = Send(
            row.id, row.key, row.kind, row.campaign_id, row.run, row.channel,
            row.attempts, json.loads(row.payload) if row.payload else {}, recipient,
        )  # fmt: skip
    return list(found.values())


_LEARNERS = LearnerRow.__table__
_LINKS = ChannelLinkRow.__table__
_LOADED = (
    _SENDS.id, _SENDS.key, _SENDS.kind, _SENDS.campaign_id, _SENDS.run, _SENDS.channel,
    _SENDS.attempts, _SENDS.payload, _SENDS.learner_id, _LEARNERS.c.name, _LEARNERS.c.language,
    _LEARNERS.c.script, _LEARNERS.c.timezone, _LEARNERS.c.reminders_enabled,
    _LEARNERS.c.organisation, _LINKS.c.channel_user_id,
)  # fmt: skip
_LOAD = (
    select(*_LOADED)
    .join(_LEARNERS, _LEARNERS.c.id == _SENDS.learner_id)
    .outerjoin(
        _LINKS, and_(_LINKS.c.learner_id == _LEARNERS.c.id, _LINKS.c.channel == _SENDS.channel)
    )
    .where(_SENDS.id.in_(bindparam("ids", expanding=True)))
    .order_by(_SENDS.not_before, _SENDS.id)
)
