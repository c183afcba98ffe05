"""A bar chart drawn on the server as SVG geometry: no JavaScript, no fonts or files to fetch.

`bar_chart` turns labelled counts into rectangles in a fixed coordinate space; the template
draws them in an `<svg viewBox>`, which scales to any screen width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
#: Room above the bars (their values) and below them (their labels).
TOP, BOTTOM, SIDE = 28, 30, 8


@dataclass(frozen=True)
class Bar:
    """One bar: its rectangle, its value and label, and whether the label is drawn under it
    (not under every bar, where labels would crowd)."""

    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    show_label: bool

    @property
    def middle(self) -> float:
        """The bar's horizontal centre (where its value and label are written)."""
        return self.x + self.width / 2


@dataclass(frozen=True)
class BarChart:
    """Bars in a `width` × `height` space; `baseline` is the y of the zero line."""

    width: int
    height: int
    baseline: float
    bars: tuple[Bar, ...]


def bar_chart(points: Sequence[tuple[str, int]], label_every: int = 3) -> BarChart:
    """Bars for (label, count) points, tallest at full height; every `label_every`-th bar
    (counting back from the last) keeps its label."""
    baseline = HEIGHT - BOTTOM
    room = baseline - TOP
    top = max((value for _, value in points), default=0) or 1
    slot = (WIDTH - 2 * SIDE) / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        height = room * max(value, 0) / top
        bars.append(
            Bar(
                x=round(SIDE + index * slot + slot * 0.15, 2),
                y=round(baseline - height, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                value=value,
                label=label,
                show_label=(len(points) - 1 - index) % label_every == 0,
            )
        )
    return BarChart(WIDTH, HEIGHT, baseline, tuple(bars))


#: A funnel's rows: their height, and the room left of the bars for their labels.
ROW, LABEL_ROOM, VALUE_ROOM = 34, 150, 70


@dataclass(frozen=True)
class Step:
    """One row of a funnel: a horizontal bar from `x`, its key, label and value."""

    key: str
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float

    @property
    def middle(self) -> float:
        """The row's vertical centre (where its label and value are written)."""
        return self.y + self.height / 2


@dataclass(frozen=True)
class Funnel:
    """Horizontal bars in a `width` × `height` space, each scaled to the first (widest) step."""

    width: int
    height: int
    steps: tuple[Step, ...]


def funnel_chart(steps: Sequence[tuple[str, str, int]]) -> Funnel:
    """Rows for (key, label, count) steps, as wide as their share of the largest count."""
    room = WIDTH - LABEL_ROOM - VALUE_ROOM
    top = max((value for _, _, value in steps), default=0) or 1
    rows = tuple(
        Step(
            key=key,
            label=label,
            value=value,
            x=LABEL_ROOM,
            y=round(index * ROW + ROW * 0.15, 2),
            width=round(room * max(value, 0) / top, 2),
            height=round(ROW * 0.7, 2),
        )
        for index, (key, label, value) in enumerate(steps)
    )
    return Funnel(WIDTH, ROW * len(rows), rows)
