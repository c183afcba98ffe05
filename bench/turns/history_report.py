"""The "history" section of docs/PERFORMANCE.md: curves, ratios, verdicts, notes."""

from __future__ import annotations

import math

from bench.turns import scripts
from bench.turns.cpu import MACHINE, other_cores
from bench.turns.history_plan import (
    LOAD_GENERATOR,
    PATHS,
    SHAPES,
    SYSTEMS,
    Curve,
    HistoryOptions,
)
from bench.turns.stats import Summary

#: Issue 14: a turn after 1,000 earlier turns costs at most this much a turn after 10.
RATIO_TARGET = 1.3
TARGET_HISTORY = 1000
#: Cores other processes may use during a timed batch before the report warns.
BACKGROUND_LIMIT = 0.2
MIX = sum(len(script) for script in scripts.KARMABOT_LATENCY)  # turns of one pass


def ratio(curve: Curve, value: str = "p50_ms") -> float:
    """`value` at the last checkpoint over its value at the first (NaN with fewer than two)."""
    if len(curve.points) < 2:
        return float("nan")
    first = getattr(curve.points[0].summary, value)
    last = getattr(curve.points[-1].summary, value)
    return float(last / first) if first > 0 else float("nan")


def cpu_total(summary: Summary) -> float:
    """CPU ms per turn of the whole system (its process trees; not the load generator)."""
    return sum(v for k, v in summary.cpu_ms.items() if k not in (MACHINE, LOAD_GENERATOR))


def verdict(curve: Curve, target_history: int = TARGET_HISTORY) -> str:
    """One line: the curve's growth and, for Karmabot, whether the target is met."""
    if len(curve.points) < 2:
        return f"- {curve.label}: fewer than two checkpoints measured; no ratio."
    first, last = curve.points[0], curve.points[-1]
    r = ratio(curve)
    growth = (
        f"p50 {_ms(first.summary.p50_ms)} ms after {first.history:,} turns, "
        f"{_ms(last.summary.p50_ms)} ms after {last.history:,}: {r:.2f}×"
    )
    if curve.system == "stock":
        return f"- {curve.label}: {growth} (baseline, no target)."
    if last.history < target_history:
        so_far = "already over" if r > RATIO_TARGET else "within"
        return (
            f"- {curve.label}: {growth}, {so_far} {RATIO_TARGET}× at {last.history:,}; the "
            f"target is set at {target_history:,} earlier turns, not reached: **not tested**."
        )
    met = "**met**" if r <= RATIO_TARGET else "**not met**"
    return f"- {curve.label}: {growth} (target ≤ {RATIO_TARGET}×: {met})."


def verdicts(curves: list[Curve], target_history: int = TARGET_HISTORY) -> list[str]:
    """Karmabot's lines first (they have the target), then the stock baseline."""
    ordered = sorted(curves, key=lambda c: c.system == "stock")
    return [verdict(c, target_history) for c in ordered]


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}"


def curve_table(curves: list[Curve], checkpoints: tuple[int, ...]) -> list[str]:
    """One row per curve: p50 ms after each checkpoint, then the last/first ratio."""
    head = " | ".join(f"after {c:,}" for c in checkpoints)
    rows = [
        f"| System | History | Path | {head} | last / first |",
        "|---|---|---|" + "--:|" * (len(checkpoints) + 1),
    ]
    for curve in curves:
        by = {p.history: p.summary.p50_ms for p in curve.points}
        cells = " | ".join(_ms(by.get(c, float("nan"))) for c in checkpoints)
        r = ratio(curve)
        rows.append(
            f"| {SYSTEMS[curve.system]} | {SHAPES[curve.shape]} | {PATHS[curve.path]} | {cells} "
            f"| {'–' if math.isnan(r) else f'{r:.2f}×'} |"
        )
    return rows


def detail_table(curves: list[Curve]) -> list[str]:
    """Every batch: p50, p95, turns/s, ratio to the first and CPU per turn."""
    rows = [
        "| System | History | Path | Earlier turns | Sessions | p50 ms | p95 ms | turns/s "
        "| p50 × first | Rasa CPU ms/turn | system CPU ms/turn | other processes (cores) "
        "| errors |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for curve in curves:
        base = curve.points[0].summary.p50_ms if curve.points else float("nan")
        for point in curve.points:
            s = point.summary
            rows.append(
                f"| {SYSTEMS[curve.system]} | {SHAPES[curve.shape]} | {PATHS[curve.path]} | "
                f"{point.history:,} | {point.sessions:,} | {_ms(s.p50_ms)} | {_ms(s.p95_ms)} | "
                f"{s.throughput:.1f} | {s.p50_ms / base:.2f}× | "
                f"{s.cpu_ms.get('rasa', float('nan')):.1f} | {cpu_total(s):.1f} | "
                f"{other_cores(s.cpu_ms, s.throughput):.2f} | {s.errors} |"
            )
    return rows


def setup_lines(options: HistoryOptions) -> list[str]:
    """How the curves were produced."""
    o = options
    points = ", ".join(f"{c:,}" for c in o.checkpoints)
    return [
        f"- **One learner per curve** (one sender id) makes turns one after another, each as "
        f"soon as the previous reply arrives. After {points} earlier turns a batch of "
        f"{o.batch} turns ({o.batch / MIX:g} × Karmabot's {MIX}-turn mix) is timed while "
        "every other curve waits; between checkpoints the "
        "curves fast-forward at once, each at its own pace, with untimed turns of the same "
        "kind. Karmabot's curves go to the last checkpoint (a safety net stops any curve "
        f"after {o.time_cap_s:.0f} s, `--time-cap`); stock's one-session curve ends at "
        f"{o.stock_max:,} turns (`--stock-max`), and a stock curve whose next checkpoint "
        f"would not fit in {o.stock_cap_s:.0f} s (`--stock-cap`; costs extrapolated from its "
        "last two batches, all curves sharing the cores) stops there.",
        "- **Turns**: Karmabot says the latency mix of bench/turns/scripts.py (enrol, lesson, "
        "quiz, answers, progress, questions to the knowledge base); stock Rasa its own training "
        "phrases. Every batch says the same things in the same order.",
        f"- **History shapes**: *one session*; *spread over sessions*: `/session_start` goes "
        f"through the same channel before every {o.session_length}th turn, so "
        f"{o.checkpoints[-1]:,} turns span {o.checkpoints[-1] // o.session_length:,} sessions "
        "(a learner returning after Rasa's 60-minute session expiry). The session start is "
        "not timed.",
        "- **Systems**: stock Rasa, `rasa run` on the `rasa init` project (in-memory tracker "
        "store); Karmabot *embedded* (1 Rasa worker, SQL tracker store on SQLite) and *scale* "
        f"(`SANIC_WORKERS={o.workers}`, Redis lock and tracker stores as endpoints.scale.yml "
        f"configures them), {_paths(o.paths)}.",
        "- **Figures**: p50 and p95 over a batch; turns/s = 1 / mean latency (one learner, "
        "turns in sequence); CPU milliseconds per turn of each system's process trees (from "
        "/proc, read around each timed turn).",
        f"- **Target** (issue 14): a Karmabot turn after {TARGET_HISTORY:,} earlier turns costs "
        f"at most {RATIO_TARGET}× a turn after {o.checkpoints[0]:,}, in both shapes and both "
        "profiles; the cost compared is the batch p50.",
    ]


def _paths(paths: tuple[str, ...]) -> str:
    """Where Karmabot's turns went, for the set-up list."""
    gateway = "through the gateway (`POST /chat/api`; its per-learner flood guard raised)"
    if "gateway" not in paths:
        return (
            "on Rasa's REST webhook (the gateway keeps no conversation history, so it adds a "
            "constant; `--paths rest,gateway` measures it too)"
        )
    return f"on Rasa's REST webhook and {gateway}" if "rest" in paths else gateway


def note_lines(curves: list[Curve], notes: list[str]) -> list[str]:
    """Per-curve fast-forward figures and checks, background load, the run's notes."""
    lines = []
    for curve in curves:
        said = " ".join(curve.notes)
        lines.append(
            f"- {curve.label}: {curve.fill_turns:,} untimed turns in {curve.fill_s:.0f} s"
            f" ({curve.errors} errors). {said}".rstrip()
        )
    busy = [
        (other_cores(p.summary.cpu_ms, p.summary.throughput), c.key, p.history)
        for c in curves
        for p in c.points
    ]
    noisy = sorted((b for b in busy if b[0] > BACKGROUND_LIMIT), reverse=True)
    if noisy:
        worst = noisy[0]
        lines.append(
            f"- **Other processes used the CPU** during {len(noisy)} of {len(busy)} timed "
            f"batches (over {BACKGROUND_LIMIT} cores; worst {worst[0]:.2f} cores, {worst[1]} "
            f"after {worst[2]:,} turns); those batches are slower than they should be."
        )
    else:
        lines.append(f"- No other work used more than {BACKGROUND_LIMIT} cores in any batch.")
    return lines + [f"- {note}" for note in notes]


def render(curves: list[Curve], options: HistoryOptions, notes: list[str], header: str) -> str:
    """The whole "Long histories" section; `header` says which command ran where."""
    lines = [
        "## Long histories: a learner's turn after many earlier turns",
        "",
        header,
        "",
        *setup_lines(options),
        "",
        "### p50 ms of a turn after N earlier turns of the same learner",
        "",
        *curve_table(curves, options.checkpoints),
        "",
        *verdicts(curves),
        "",
        "<details><summary>Every batch: p95, turns/s, CPU per turn</summary>",
        "",
        *detail_table(curves),
        "",
        "</details>",
        "",
        "### Notes",
        "",
        *note_lines(curves, notes),
    ]
    return "\n".join(lines) + "\n"
