"""The "dashboard" section of docs/PERFORMANCE.md, from the measurements (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.dashboard.generate import Counts
from bench.dashboard.measure import TARGET_MS, Timing


@dataclass(frozen=True)
class Row:
    """One timed page (or baseline) on one store."""

    store: str
    page: str
    viewer: str
    filters: str
    timing: Timing
    #: Learners the page counts (the overview's "Learners"), or the campaign's sends.
    size: str = ""
    #: The slowest SQL statements of one request: (first words, ms).
    slowest: tuple[tuple[str, float], ...] = ()
    baseline: bool = False

    @property
    def met(self) -> bool:
        return self.timing.median <= TARGET_MS and self.timing.p95 <= TARGET_MS


@dataclass
class StoreRun:
    """What one store's run made and measured."""

    store: str
    counts: Counts
    fill_s: float
    rows: list[Row] = field(default_factory=list)
    #: Load average (1 minute) before and after the timed requests, and the cores that other
    #: processes (the PostgreSQL server included) kept busy meanwhile.
    load: tuple[float, float] = (0.0, 0.0)
    other_cores: float = 0.0


def verdict(row: Row) -> str:
    if row.baseline:
        return "baseline"
    return "met" if row.met else "**not met**"


def short(statement: str, width: int = 70) -> str:
    """A statement's first words, for a table cell."""
    flat = " ".join(statement.split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def section(runs: list[StoreRun], learners: int, provenance: str, runs_per: int) -> str:
    """The whole section."""
    lines = [
        f"## The supervisor dashboard at {learners:,} learners (`bench.dashboard`)",
        "",
        provenance,
        "",
        f"Target (issue 15): the overview and a campaign report render in ≤ {TARGET_MS:.0f} ms "
        f"for an organisation of {learners:,} learners with a year of activity, on SQLite and "
        "PostgreSQL. Each figure is a full HTTP GET through the dashboard's Starlette app "
        "(uvicorn on loopback, a signed-in cookie, the session check, every query, the "
        f"template), sequential, {runs_per} timed after warm-up; a page is *met* when its "
        "median and p95 are both within the target.",
        "",
        "| Store | Learners | Enrollments | Lessons | Quiz attempts | Points rows | Made in |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        c = run.counts
        lines.append(
            f"| {run.store} | {c.learners:,} | {c.enrollments:,} | {c.lessons:,} | "
            f"{c.quizzes:,} | {c.points:,} | {run.fill_s:.0f} s |"
        )
    lines += [
        "",
        "| Store | Page | Viewer | Filters | Counts over | Median ms | p95 ms | Target |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        for row in run.rows:
            t = row.timing
            lines.append(
                f"| {row.store} | {row.page} | {row.viewer} | {row.filters or '–'} | "
                f"{row.size or '–'} | {t.median:,.1f} | {t.p95:,.1f} | {verdict(row)} |"
            )
    lines += ["", "Machine load while timing:"]
    for run in runs:
        before, after = run.load
        lines.append(
            f"- {run.store}: load average {before:.2f} before, {after:.2f} after; other "
            f"processes (the database server included) kept {run.other_cores:.2f} cores busy."
        )
    lines += ["", "Where each store's two slowest pages spend their time (one request's SQL "
              "statements, the slowest three):", ""]  # fmt: skip
    for run in runs:
        timed = [row for row in run.rows if not row.baseline and row.slowest]
        for row in sorted(timed, key=lambda r: r.timing.median, reverse=True)[:2]:
            spent = "; ".join(f"{ms:,.0f} ms `{short(sql)}`" for sql, ms in row.slowest)
            filters = f" ({row.filters})" if row.filters else ""
            lines.append(f"- {row.store}, {row.page}, {row.viewer}{filters}: {spent}")
    return "\n".join(lines) + "\n"
