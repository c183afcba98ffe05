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
