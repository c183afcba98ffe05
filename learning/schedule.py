"""When to nudge: pure scheduling rules for learner reminders and supervisor campaigns.

Quiet hours and the daily cap (in the learner's local time), spaced review of missed questions,
inactivity and deadline reminders with their natural keys (one nudge per occasion), and weekly
campaign schedules. Nothing here reads a clock, a database or settings: every function takes the
current instant (`now`, an aware UTC datetime) and returns aware UTC datetimes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Days until the next review at each stage (stage is an index into this tuple).
REVIEW_INTERVALS: tuple[int, ...] = (1, 3, 10, 30, 60)

#: The longest natural key a nudge may have (longer keys end in a digest).
MAX_KEY_LENGTH = 200

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _aware(moment: datetime, name: str = "now") -> datetime:
    """The moment itself; ValueError if it is naive (its zone would be a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {moment.isoformat()}")
    return moment


def _parse_time(text: str) -> time:
    """A local time from "H", "HH", "H:MM" or "HH:MM"; ValueError otherwise."""
    hours, sep, minutes = text.strip().partition(":")
    if sep and len(minutes) != 2:
        raise ValueError(f"expected a time like 08:00 or 8, got {text.strip()!r}")
    parts = (hours, minutes) if sep else (hours,)
    if not all(p.isascii() and p.isdigit() and len(p) <= 2 for p in parts):
        raise ValueError(f"expected a time like 08:00 or 8, got {text.strip()!r}")
    hour, minute = int(hours), int(minutes) if sep else 0
    if hour > 23 or minute > 59:
        raise ValueError(f"no such time of day: {text.strip()!r}")
    return time(hour, minute)


def _bounded(key: str) -> str:
    """The key, or if it is too long a readable prefix plus a digest of the whole key."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[: MAX_KEY_LENGTH - len(digest) - 1]}~{digest}"


# --- Quiet hours -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """Hours in the learner's local time when no proactive message is sent.

    The window may wrap past midnight (21:00-08:00) or not (13:00-14:00); start == end means
    there are no quiet hours. Start is inside the window, end is not.
    """

    start: time = time(21, 0)
    end: time = time(8, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local wall-clock times and take no tzinfo")

    @property
    def enabled(self) -> bool:
        """Whether there are any quiet hours at all."""
        return self.start != self.end


#: No quiet hours (start == end).
NO_QUIET_HOURS = QuietHours(time(0, 0), time(0, 0))


def parse_quiet_hours(text: str) -> QuietHours:
    """Quiet hours from a setting like "21:00-08:00" or "21-8"; "" or "off" turns them off."""
    cleaned = text.strip()
    if cleaned.lower() in ("", "off"):
        return NO_QUIET_HOURS
    start, sep, end = cleaned.partition("-")
    try:
        if not sep:
            raise ValueError("no '-' between start and end")
        return QuietHours(_parse_time(start), _parse_time(end))
    except ValueError as error:
        raise ValueError(
            f"quiet hours must look like '21:00-08:00', '21-8' or 'off', got {text!r} ({error})"
        ) from None


def is_quiet(now: datetime, zone: ZoneInfo, quiet: QuietHours) -> bool:
    """Whether `now` falls inside the quiet hours in the learner's zone."""
    if not quiet.enabled:
        return False
    local = _aware(now).astimezone(zone).time()
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def next_send_time(now: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`now` if it is not quiet, else the UTC instant the quiet hours end in the learner's zone."""
    if not is_quiet(now, zone, quiet):
        return now.astimezone(UTC)
    local = now.astimezone(zone)
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # quiet since this evening: it ends tomorrow morning
    return datetime.combine(day, quiet.end, tzinfo=zone).astimezone(UTC)


def learner_zone(name: str | None, default: str = "Asia/Kolkata") -> ZoneInfo:
    """The learner's time zone, or `default` when the name is missing or not a known zone."""
    if name and name.strip():
        try:
            return ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
            pass
    return ZoneInfo(default)


# --- Daily cap ---------------------------------------------------------------------------------


def within_daily_cap(
    sent_today_local: Sequence[datetime], now: datetime, zone: ZoneInfo, cap: int = 1
) -> bool:
    """Whether another proactive message fits today's cap.

    Args:
        sent_today_local: Aware UTC instants of earlier proactive messages to this learner
            (any days; only those on the learner's local calendar day of `now` count).
        now: The current instant.
        zone: The learner's time zone.
        cap: Messages allowed per local day; 0 means never.
    """
    if cap < 0:
        raise ValueError(f"daily cap must be 0 or more, got {cap}")
    today = _aware(now).astimezone(zone).date()
    sent = sum(1 for s in sent_today_local if _aware(s, "sent").astimezone(zone).date() == today)
    return sent < cap


# --- Spaced review -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewState:
    """Where a missed question stands in spaced review: its stage and when it is due again."""

    stage: int
    due_at: datetime


def first_review(missed_at: datetime, intervals: Sequence[int] = REVIEW_INTERVALS) -> ReviewState:
    """The first review of a question missed at `missed_at`: stage 0, due one interval later."""
    if not intervals:
        raise ValueError("review intervals must not be empty")
    return ReviewState(0, _aware(missed_at, "missed_at") + timedelta(days=intervals[0]))


def after_review(
    state: ReviewState, correct: bool, now: datetime, intervals: Sequence[int] = REVIEW_INTERVALS
) -> ReviewState | None:
    """The next review after answering one: right pushes it out, wrong pulls it back.

    Returns:
        The next state, or None when the last stage was answered right (the question is learned).
    """
    if not 0 <= state.stage < len(intervals):
        raise ValueError(f"review stage {state.stage} is outside 0..{len(intervals) - 1}")
    _aware(now)
    if correct:
        if state.stage == len(intervals) - 1:
            return None
        stage = state.stage + 1
    else:
        stage = max(0, state.stage - 1)
    return ReviewState(stage, now + timedelta(days=intervals[stage]))


# --- Inactivity --------------------------------------------------------------------------------


def inactivity_due(last_activity: datetime, now: datetime, days: int) -> bool:
    """Whether at least `days` full days have passed since the learner's last activity."""
    if days < 0:
        raise ValueError(f"inactivity days must be 0 or more, got {days}")
    return _aware(now) - _aware(last_activity, "last_activity") >= timedelta(days=days)


def inactivity_key(learner_id: str, course_id: str, last_activity: datetime) -> str:
    """The natural key of the one nudge for this stretch of silence (a new silence, a new key)."""
    stamp = _aware(last_activity, "last_activity").astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    return _bounded(f"inactive:{learner_id}:{course_id}:{stamp}")


# --- Deadlines ---------------------------------------------------------------------------------


def deadline_reminder(
    due: date, now: datetime, zone: ZoneInfo, before_days: Sequence[int] = (7, 1)
) -> str | None:
    """The deadline reminder due on the learner's local date today, if any.

    Returns:
        "d-N" when today is exactly N days (one of `before_days`) before `due`, "d0" on the
        due date itself, else None (also after the due date).
    """
    days_left = (due - _aware(now).astimezone(zone).date()).days
    if days_left == 0:
        return "d0"
    if days_left > 0 and days_left in before_days:
        return f"d-{days_left}"
    return None


def deadline_key(learner_id: str, course_id: str, due: date, label: str) -> str:
    """The natural key of one deadline reminder (one per learner, course, due date and label)."""
    return _bounded(f"deadline:{learner_id}:{course_id}:{due.isoformat()}:{label}")


def parse_offsets(text: str) -> tuple[int, ...]:
    """Reminder offsets in days from a setting like "7,1": unique, largest first ("" is none)."""
    items = [item.strip() for item in text.split(",")] if text.strip() else []
    for item in items:
        if not (item.isascii() and item.isdigit()):
            raise ValueError(
                f"reminder offsets must be whole days like '7,1', got {item!r} in {text!r}"
            )
    return tuple(sorted({int(item) for item in items}, reverse=True))


# --- Campaign schedules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Weekly:
    """A campaign that runs every week on one weekday (0 = Monday) at a local time in a zone."""

    weekday: int
    at: time
    zone: str = "Asia/Kolkata"

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.at.tzinfo is not None:
            raise ValueError("the run time is a local wall-clock time and takes no tzinfo")
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as error:
            raise ValueError(f"unknown time zone {self.zone!r}") from error

    def next_run(self, after: datetime) -> datetime:
        """The first run strictly after `after`, as an aware UTC datetime."""
        zone = ZoneInfo(self.zone)
        local = _aware(after, "after").astimezone(zone)
        day = local.date() + timedelta(days=(self.weekday - local.weekday()) % 7)
        run = datetime.combine(day, self.at, tzinfo=zone).astimezone(UTC)
        if run <= after:
            run = datetime.combine(day + timedelta(days=7), self.at, tzinfo=zone).astimezone(UTC)
        return run


def _parse_weekday(text: str) -> int | None:
    """The weekday (0 = Monday) named by a day name or its first three or more letters."""
    if len(text) < 3:
        return None
    return next((i for i, name in enumerate(_WEEKDAYS) if name.startswith(text)), None)


def parse_weekly(text: str, zone: str = "Asia/Kolkata") -> Weekly:
    """A weekly schedule from "mon 09:30", "Monday 9:30" or "weekly mon 09:30"."""
    words = text.lower().split()
    if words[:1] == ["weekly"]:
        words = words[1:]
    weekday = _parse_weekday(words[0]) if len(words) == 2 else None
    try:
        if weekday is None:
            raise ValueError("expected a weekday and a time")
        at = _parse_time(words[1])
    except ValueError as error:
        raise ValueError(
            f"a weekly schedule must look like 'mon 09:30' or 'weekly monday 9:30', "
            f"got {text!r} ({error})"
        ) from None
    return Weekly(weekday, at, zone)
