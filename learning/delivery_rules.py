"""Whether a claimed send goes now: opt-out, reachability, quiet hours, the daily nudge cap, and
how long to wait before a retry. Pure functions of the send, the policy and the time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from learning.schedule import QuietHours, learner_zone, next_send_time, within_daily_cap
from learning.sends import Result, Send

#: Attempts (transient errors) before a send is given up as failed.
MAX_ATTEMPTS = 6
#: The longest wait between two attempts.
MAX_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class DeliveryPolicy:
    """The limits every unprompted message obeys.

    Attributes:
        quiet: Quiet hours in the learner's local time.
        default_zone: The zone of learners without one.
        nudge_cap: Automatic nudges per learner per local day (campaigns are not capped).
        max_attempts: Transient failures before giving up.
    """

    quiet: QuietHours = field(default_factory=QuietHours)
    default_zone: str = "Asia/Kolkata"
    nudge_cap: int = 1
    max_attempts: int = MAX_ATTEMPTS


def gate(
    send: Send, now: datetime, policy: DeliveryPolicy, sent_today: Sequence[datetime] = ()
) -> Result | None:
    """None when the send may go now; otherwise what happens to it instead.

    Opt-out always wins; a learner with no reachable chat is skipped; quiet hours defer the
    send to their end; a nudge over the learner's daily cap is skipped (`sent_today` are the
    learner's earlier unprompted messages).
    """
    learner = send.learner
    if not learner.reminders_enabled:
        return Result(send.id, "skipped", reason="opt_out")
    if send.channel is None or not learner.channel_user_id:
        return Result(send.id, "skipped", reason="no_channel")
    zone = learner_zone(learner.timezone, policy.default_zone)
    later = next_send_time(now, zone, policy.quiet)
    if later > now:
        return Result(send.id, "defer", reason="quiet_hours", at=later)
    if send.kind != "campaign" and not within_daily_cap(sent_today, now, zone, policy.nudge_cap):
        return Result(send.id, "skipped", reason="daily_cap")
    return None


def retry_or_fail(
    send: Send,
    now: datetime,
    policy: DeliveryPolicy,
    error: str,
    retry_after: float | None = None,
    reason: str = "retry",
) -> Result:
    """A transient failure: try again later (exponential back-off, or as the channel asked),
    or give up after `max_attempts`."""
    if send.attempts + 1 >= policy.max_attempts:  # this attempt included
        return Result(send.id, "failed", reason="gave_up", error=error)
    wait = (
        timedelta(seconds=retry_after) if retry_after else timedelta(seconds=5 * 2**send.attempts)
    )
    return Result(send.id, "retry", reason=reason, at=now + min(wait, MAX_BACKOFF), error=error)
