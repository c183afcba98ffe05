"""Rates from the fake's arrival times (seconds, its clock), per client label."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence


def merged(arrivals: Mapping[str, Sequence[float]]) -> list[float]:
    """Every label's arrivals, sorted."""
    return sorted(t for times in arrivals.values() for t in times)


def overlap(arrivals: Mapping[str, Sequence[float]]) -> tuple[float, float]:
    """The span in which every label was sending: latest first arrival to earliest last one."""
    busy = [times for times in arrivals.values() if times]
    if not busy:
        return 0.0, 0.0
    return max(t[0] for t in busy), min(t[-1] for t in busy)


def rate_between(times: Sequence[float], start: float, end: float) -> float:
    """Arrivals per second in [start, end] (0 for an empty span)."""
    if end <= start:
        return 0.0
    count = bisect.bisect_right(times, end) - bisect.bisect_left(times, start)
    return count / (end - start)


def busiest(times: Sequence[float], width: float = 1.0) -> tuple[int, float]:
    """The most arrivals in any sliding window of `width` seconds, and when that window
    starts (seconds after the first arrival)."""
    best, at, first = 0, 0.0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= width:
            first += 1
        if last - first + 1 > best:
            best, at = last - first + 1, times[first] - times[0]
    return best, at


def ceiling(arrivals: Mapping[str, Sequence[float]]) -> tuple[float, float]:
    """(messages/s, seconds) over the span in which all clients were sending."""
    start, end = overlap(arrivals)
    return rate_between(merged(arrivals), start, end), end - start


def steady(
    arrivals: Mapping[str, Sequence[float]], head: float = 2.0, tail: float = 1.0
) -> tuple[float, float]:
    """(messages/s, seconds) over the common span less its first `head` and last `tail` s."""
    start, end = overlap(arrivals)
    return rate_between(merged(arrivals), start + head, end - tail), end - tail - start - head
