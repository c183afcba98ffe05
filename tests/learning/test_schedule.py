"""Nudge scheduling rules: quiet hours, daily cap, spaced review, inactivity, deadlines, campaigns.

Every case runs at a fixed instant; IST is UTC+05:30, so 16:00 UTC is 21:30 IST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from learning.schedule import (
    MAX_KEY_LENGTH,
    NO_QUIET_HOURS,
    REVIEW_INTERVALS,
    QuietHours,
    ReviewState,
    Weekly,
    after_review,
    deadline_key,
    deadline_reminder,
    first_review,
    inactivity_due,
    inactivity_key,
    is_quiet,
    learner_zone,
    next_send_time,
    parse_offsets,
    parse_quiet_hours,
    parse_weekly,
    within_daily_cap,
)

IST = ZoneInfo("Asia/Kolkata")
LONDON = ZoneInfo("Europe/London")
NIGHT = QuietHours()  # 21:00-08:00


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- Quiet hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "quiet"),
    [
        (utc(2026, 12, 3, 16, 0), True),  # 21:30 IST
        (utc(2026, 12, 3, 15, 30), True),  # 21:00 IST: the start is quiet
        (utc(2026, 12, 3, 18, 30), True),  # 00:00 IST
        (utc(2026, 12, 4, 2, 29), True),  # 07:59 IST
        (utc(2026, 12, 4, 2, 30), False),  # 08:00 IST: the end is not
        (utc(2026, 12, 3, 15, 29), False),  # 20:59 IST
        (utc(2026, 12, 3, 6, 30), False),  # 12:00 IST
    ],
)
def test_is_quiet_in_learner_local_time(now: datetime, quiet: bool) -> None:
    assert is_quiet(now, IST, NIGHT) is quiet


@pytest.mark.parametrize(
    "now",
    [
        utc(2026, 12, 3, 15, 30),  # 21:00 IST Dec 3
        utc(2026, 12, 3, 16, 0),  # 21:30 IST Dec 3
        utc(2026, 12, 3, 18, 0),  # 23:30 IST Dec 3 (before local midnight)
        utc(2026, 12, 3, 19, 0),  # 00:30 IST Dec 4 (after local midnight, still Dec 3 in UTC)
        utc(2026, 12, 4, 2, 29),  # 07:59 IST Dec 4
    ],
)
def test_next_send_time_is_the_end_of_this_night(now: datetime) -> None:
    sent = next_send_time(now, IST, NIGHT)
    assert sent == utc(2026, 12, 4, 2, 30)  # 08:00 IST Dec 4
    assert sent.utcoffset() == timedelta(0)


@pytest.mark.parametrize("now", [utc(2026, 12, 4, 2, 30), utc(2026, 12, 3, 15, 29)])
def test_next_send_time_outside_quiet_hours_is_now(now: datetime) -> None:
    assert next_send_time(now, IST, NIGHT) == now


def test_window_that_does_not_wrap_midnight() -> None:
    lunch = QuietHours(time(13, 0), time(14, 0))
    assert is_quiet(utc(2026, 12, 3, 7, 30), IST, lunch)  # 13:00 IST
    assert is_quiet(utc(2026, 12, 3, 8, 0), IST, lunch)  # 13:30 IST
    assert not is_quiet(utc(2026, 12, 3, 7, 29), IST, lunch)  # 12:59 IST
    assert not is_quiet(utc(2026, 12, 3, 8, 30), IST, lunch)  # 14:00 IST
    assert not is_quiet(utc(2026, 12, 3, 16, 0), IST, lunch)  # 21:30 IST
    assert next_send_time(utc(2026, 12, 3, 8, 0), IST, lunch) == utc(2026, 12, 3, 8, 30)


def test_disabled_window_is_never_quiet() -> None:
    off = parse_quiet_hours("off")
    assert off == NO_QUIET_HOURS
    assert not off.enabled
    for now in (utc(2026, 12, 3, 16, 0), utc(2026, 12, 3, 19, 0), utc(2026, 12, 4, 2, 29)):
        assert not is_quiet(now, IST, off)
        assert next_send_time(now, IST, off) == now
    assert not is_quiet(utc(2026, 12, 3, 16, 0), IST, QuietHours(time(22, 0), time(22, 0)))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Spring forward: 2026-03-29 01:00 UTC, London goes from GMT to BST (UTC+1).
        (utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 7, 0)),  # 22:00 GMT → 08:00 BST
        (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 7, 0)),  # 00:30 GMT → 08:00 BST
        (utc(2026, 3, 29, 6, 59), utc(2026, 3, 29, 7, 0)),  # 07:59 BST → 08:00 BST
        # Fall back: 2026-10-25 01:00 UTC, London goes from BST back to GMT.
        (utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 8, 0)),  # 22:00 BST → 08:00 GMT
    ],
)
def test_next_send_time_across_a_dst_change(now: datetime, expected: datetime) -> None:
    assert next_send_time(now, LONDON, NIGHT) == expected


def test_dst_change_moves_the_quiet_hours_in_utc() -> None:
    # 07:30 UTC is 07:30 GMT (quiet) on the Saturday but 08:30 BST (not quiet) on the Sunday.
    assert is_quiet(utc(2026, 3, 28, 7, 30), LONDON, NIGHT)
    assert not is_quiet(utc(2026, 3, 29, 7, 30), LONDON, NIGHT)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("21:00-08:00", time(21, 0), time(8, 0)),
        ("21-8", time(21, 0), time(8, 0)),
        ("  21:00 - 08:00  ", time(21, 0), time(8, 0)),
        ("22:30-6:15", time(22, 30), time(6, 15)),
        ("13:00-14:00", time(13, 0), time(14, 0)),
        ("0-7", time(0, 0), time(7, 0)),
    ],
)
def test_parse_quiet_hours(text: str, start: time, end: time) -> None:
    assert parse_quiet_hours(text) == QuietHours(start, end)


@pytest.mark.parametrize("text", ["", "   ", "off", "OFF"])
def test_parse_quiet_hours_off(text: str) -> None:
    assert not parse_quiet_hours(text).enabled


@pytest.mark.parametrize(
    "text",
    ["21:00", "25:00-08:00", "21:60-08:00", "21:0-08:00", "9pm-8am", "21-08-09", "-", "on"],
)
def test_parse_quiet_hours_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="quiet hours must look like"):
        parse_quiet_hours(text)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_quiet(datetime(2026, 12, 3, 16, 0), IST, NIGHT)


@pytest.mark.parametrize("name", [None, "", "  ", "Not/AZone", "America", "../etc/passwd", "x\0"])
def test_learner_zone_falls_back_on_bad_names(name: str | None) -> None:
    assert learner_zone(name) == IST
    assert learner_zone(name, default="UTC") == ZoneInfo("UTC")


def test_learner_zone_uses_a_known_name() -> None:
    assert learner_zone("Europe/London") == LONDON
    assert learner_zone(" Europe/London ") == LONDON


# --- Daily cap ---------------------------------------------------------------------------------


def test_daily_cap_counts_by_local_day_not_utc_day() -> None:
    late = utc(2026, 12, 3, 18, 0)  # 23:30 IST Dec 3
    after_midnight = utc(2026, 12, 3, 19, 0)  # 00:30 IST Dec 4 (same UTC day as `late`)
    now = utc(2026, 12, 3, 19, 15)  # 00:45 IST Dec 4
    assert within_daily_cap([late], now, IST)
    assert not within_daily_cap([after_midnight], now, IST)
    assert not within_daily_cap([late, after_midnight], now, IST)
    assert within_daily_cap([late, after_midnight], now, IST, cap=2)


def test_daily_cap_same_local_day_across_utc_midnight() -> None:
    sent = utc(2026, 12, 3, 19, 0)  # 00:30 IST Dec 4
    now = utc(2026, 12, 4, 0, 30)  # 06:00 IST Dec 4, a different UTC day
    assert not within_daily_cap([sent], now, IST)
    assert within_daily_cap([], now, IST)


def test_daily_cap_zero_means_never() -> None:
    assert not within_daily_cap([], utc(2026, 12, 3, 6, 0), IST, cap=0)
    with pytest.raises(ValueError, match="daily cap"):
        within_daily_cap([], utc(2026, 12, 3, 6, 0), IST, cap=-1)


# --- Spaced review -----------------------------------------------------------------------------


def test_review_intervals() -> None:
    assert REVIEW_INTERVALS == (1, 3, 10, 30, 60)


def test_correct_answers_walk_the_whole_ladder_then_retire() -> None:
    state = first_review(utc(2026, 12, 3, 10, 0))
    assert state == ReviewState(0, utc(2026, 12, 4, 10, 0))
    expected = [
        ReviewState(1, utc(2026, 12, 7, 10, 0)),  # +3
        ReviewState(2, utc(2026, 12, 17, 10, 0)),  # +10
        ReviewState(3, utc(2027, 1, 16, 10, 0)),  # +30
        ReviewState(4, utc(2027, 3, 17, 10, 0)),  # +60
    ]
    for want in expected:
        nxt = after_review(state, True, state.due_at)
        assert nxt == want
        state = want
    assert after_review(state, True, state.due_at) is None


def test_wrong_answer_pulls_back_one_stage_from_now() -> None:
    now = utc(2026, 12, 20, 9, 0)
    state = ReviewState(3, utc(2026, 12, 19, 10, 0))
    assert after_review(state, False, now) == ReviewState(2, utc(2026, 12, 30, 9, 0))
    assert after_review(ReviewState(4, now), False, now) == ReviewState(3, utc(2027, 1, 19, 9, 0))


@pytest.mark.parametrize("stage", [0, 1])
def test_wrong_answer_floors_at_stage_zero(stage: int) -> None:
    now = utc(2026, 12, 20, 9, 0)
    assert after_review(ReviewState(stage, now), False, now) == ReviewState(
        0, utc(2026, 12, 21, 9, 0)
    )


def test_review_with_custom_intervals() -> None:
    state = first_review(utc(2026, 12, 3, 10, 0), intervals=(2, 5))
    assert state == ReviewState(0, utc(2026, 12, 5, 10, 0))
    now = utc(2026, 12, 5, 12, 0)
    state2 = after_review(state, True, now, intervals=(2, 5))
    assert state2 == ReviewState(1, utc(2026, 12, 10, 12, 0))
    assert after_review(state2, True, now, intervals=(2, 5)) is None


def test_review_stage_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="stage 5"):
        after_review(ReviewState(5, utc(2026, 12, 3)), True, utc(2026, 12, 3))


# --- Inactivity --------------------------------------------------------------------------------


def test_inactivity_boundary_is_exactly_n_days() -> None:
    last = utc(2026, 12, 1, 10, 0)
    assert inactivity_due(last, utc(2026, 12, 4, 10, 0), 3)
    assert not inactivity_due(last, utc(2026, 12, 4, 9, 59, 59), 3)
    assert inactivity_due(last, utc(2026, 12, 9, 0, 0), 3)


def test_inactivity_key_is_one_per_silence() -> None:
    last = utc(2026, 12, 1, 10, 0)
    key = inactivity_key("L1", "C1", last)
    assert key == "inactive:L1:C1:2026-12-01T10:00Z"
    # The same silence, read back with lost precision or in another zone, keeps its key.
    assert inactivity_key("L1", "C1", last.replace(second=42, microsecond=123456)) == key
    assert inactivity_key("L1", "C1", last.astimezone(IST)) == key
    # The learner came back and went quiet again: a new silence, a new nudge.
    assert inactivity_key("L1", "C1", utc(2026, 12, 6, 8, 15)) != key
    assert inactivity_key("L1", "C2", last) != key


def test_keys_stay_short_and_distinct_for_long_ids() -> None:
    last = utc(2026, 12, 1, 10, 0)
    a = inactivity_key("L" * 300, "C1", last)
    b = inactivity_key("L" * 299 + "M", "C1", last)
    assert len(a) == len(b) == MAX_KEY_LENGTH
    assert a != b
    assert a.startswith("inactive:LLL")
    assert len(deadline_key("L" * 300, "C1", date(2026, 12, 11), "d-7")) == MAX_KEY_LENGTH


# --- Deadlines ---------------------------------------------------------------------------------

DUE = date(2026, 12, 11)


@pytest.mark.parametrize(
    ("now", "label"),
    [
        (utc(2026, 12, 3, 18, 0), None),  # 23:30 IST Dec 3: 8 days before
        (utc(2026, 12, 3, 20, 0), "d-7"),  # 01:30 IST Dec 4, though still Dec 3 in UTC
        (utc(2026, 12, 4, 18, 0), "d-7"),  # 23:30 IST Dec 4: still the same local day
        (utc(2026, 12, 4, 18, 30), None),  # 00:00 IST Dec 5: 6 days before
        (utc(2026, 12, 7, 6, 0), None),  # Dec 7: 4 days before
        (utc(2026, 12, 10, 5, 0), "d-1"),  # 10:30 IST Dec 10
        (utc(2026, 12, 10, 19, 0), "d0"),  # 00:30 IST Dec 11, though still Dec 10 in UTC
        (utc(2026, 12, 11, 18, 29), "d0"),  # 23:59 IST Dec 11
        (utc(2026, 12, 11, 18, 30), None),  # 00:00 IST Dec 12: after the date
        (utc(2027, 1, 5, 6, 0), None),  # long after
    ],
)
def test_deadline_reminder_uses_the_local_date(now: datetime, label: str | None) -> None:
    assert deadline_reminder(DUE, now, IST) == label


def test_deadline_reminder_custom_offsets() -> None:
    assert deadline_reminder(DUE, utc(2026, 12, 8, 6, 0), IST, before_days=(3,)) == "d-3"
    assert deadline_reminder(DUE, utc(2026, 12, 4, 6, 0), IST, before_days=(3,)) is None
    assert deadline_reminder(DUE, utc(2026, 12, 11, 6, 0), IST, before_days=()) == "d0"


def test_deadline_key() -> None:
    assert deadline_key("L1", "C1", DUE, "d-7") == "deadline:L1:C1:2026-12-11:d-7"
    assert deadline_key("L1", "C1", DUE, "d-1") != deadline_key("L1", "C1", DUE, "d-7")
    assert deadline_key("L1", "C1", date(2027, 1, 11), "d-7") != deadline_key(
        "L1", "C1", DUE, "d-7"
    )


@pytest.mark.parametrize(
    ("text", "offsets"),
    [("7,1", (7, 1)), ("1, 7, 7", (7, 1)), ("0,3", (3, 0)), (" 14 ", (14,)), ("", ())],
)
def test_parse_offsets(text: str, offsets: tuple[int, ...]) -> None:
    assert parse_offsets(text) == offsets


@pytest.mark.parametrize("text", ["7,-1", "a", "7,,1", "1.5", "7;1", "+7"])
def test_parse_offsets_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="whole days"):
        parse_offsets(text)


# --- Campaign schedules ------------------------------------------------------------------------

MONDAY_0930 = Weekly(0, time(9, 30))  # Monday 09:30 IST = Monday 04:00 UTC


@pytest.mark.parametrize(
    ("after", "run"),
    [
        (utc(2026, 12, 3, 16, 0), utc(2026, 12, 7, 4, 0)),  # Thursday → next Monday
        (utc(2026, 12, 6, 23, 0), utc(2026, 12, 7, 4, 0)),  # Sunday night, across the week
        (utc(2026, 12, 7, 3, 59, 59), utc(2026, 12, 7, 4, 0)),  # just before: today
        (utc(2026, 12, 7, 4, 0), utc(2026, 12, 14, 4, 0)),  # exactly at the run: next week
        (utc(2026, 12, 7, 4, 0, 1), utc(2026, 12, 14, 4, 0)),  # just after: next week
        (utc(2026, 12, 28, 5, 0), utc(2027, 1, 4, 4, 0)),  # across the year
    ],
)
def test_weekly_next_run_is_strictly_after(after: datetime, run: datetime) -> None:
    got = MONDAY_0930.next_run(after)
    assert got == run
    assert got.utcoffset() == timedelta(0)


def test_weekly_uses_the_local_weekday() -> None:
    early = Weekly(0, time(1, 0))  # Monday 01:00 IST = Sunday 19:30 UTC
    assert early.next_run(utc(2026, 12, 6, 19, 0)) == utc(2026, 12, 6, 19, 30)
    assert early.next_run(utc(2026, 12, 6, 20, 0)) == utc(2026, 12, 13, 19, 30)


def test_weekly_across_a_dst_change() -> None:
    sunday_9 = Weekly(6, time(9, 0), "Europe/London")
    assert sunday_9.next_run(utc(2026, 3, 22, 9, 0)) == utc(2026, 3, 29, 8, 0)  # BST now


def test_weekly_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="weekday"):
        Weekly(7, time(9, 0))
    with pytest.raises(ValueError, match="time zone"):
        Weekly(0, time(9, 0), "Mars/Base")
    with pytest.raises(ValueError, match="timezone-aware"):
        MONDAY_0930.next_run(datetime(2026, 12, 3, 16, 0))


@pytest.mark.parametrize(
    ("text", "weekday", "at"),
    [
        ("mon 09:30", 0, time(9, 30)),
        ("Monday 9:30", 0, time(9, 30)),
        ("weekly mon 09:30", 0, time(9, 30)),
        ("  WEEKLY   Tues 18:05 ", 1, time(18, 5)),
        ("sun 0:00", 6, time(0, 0)),
        ("thurs 7", 3, time(7, 0)),
    ],
)
def test_parse_weekly(text: str, weekday: int, at: time) -> None:
    assert parse_weekly(text) == Weekly(weekday, at, "Asia/Kolkata")


def test_parse_weekly_keeps_the_zone() -> None:
    assert parse_weekly("fri 17:00", zone="Europe/London") == Weekly(
        4, time(17, 0), "Europe/London"
    )


@pytest.mark.parametrize(
    "text",
    ["", "weekly", "mon", "09:30", "funday 09:30", "mo 09:30", "mon 25:00", "mon 09:30 extra"],
)
def test_parse_weekly_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="must look like 'mon 09:30'"):
        parse_weekly(text)
