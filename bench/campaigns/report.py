"""The "campaigns" section of docs/PERFORMANCE.md."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.campaigns.crash import CrashRun
from bench.campaigns.delivery import FAKE_CEILING, DeliveryRun
from bench.campaigns.planning import TARGETS, PlanFigures

PACE, PACE_SHARE = 30.0, 0.95
CEILING_TARGET, SCALING_TARGET = 500.0, 1.6


@dataclass
class Results:
    """Everything measured, and how."""

    planning: list[PlanFigures] = field(default_factory=list)
    pace: list[tuple[str, DeliveryRun]] = field(default_factory=list)
    ceiling: list[list[DeliveryRun]] = field(default_factory=list)  # one list per run
    sweep: list[DeliveryRun] = field(default_factory=list)
    crashes: list[CrashRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def _planning(figures: list[PlanFigures]) -> list[str]:
    runs = len(figures[0].plan_s)
    lines = [
        "### Planning a campaign",
        "",
        "`Campaigns.start_due()` right after `send`: the cohort query and one `sends` row per "
        "learner in one `INSERT … SELECT` (skipped rows included: opted out, no channel). "
        "Learners over a 125-unit organisation tree (learners in its 100 districts): 70 % on "
        "Telegram, 30 % on WhatsApp (10 % both), 10 % unreachable, 5 % opted out, 40 % "
        "enrolled in the course (a third completed). PostgreSQL is ANALYZEd after the load; "
        "SQLite is a file on disk. Baseline, same store and run: a bare `INSERT INTO sends … "
        f"SELECT … FROM learners LIMIT <rows>` (no filter, no join). Median of {runs} "
        f"run{'s' if runs > 1 else ''}; `sends` is emptied between timings.",
        "",
        "| Store | Learners | Cohort | Rows (queued / skipped) | Planning s | Bare insert s "
        "| Ratio | Target | Met |",
        "|---|--:|---|--:|--:|--:|--:|--:|:-:|",
    ]
    for f in figures:
        target = TARGETS[f.store]
        lines.append(
            f"| {f.store} | {f.learners:,} | {f.cohort} | {f.rows:,} ({f.queued:,} / "
            f"{f.skipped:,}) | {f.plan:.2f} | {f.bare:.2f} | {f.ratio:.1f}× | ≤ {target:.0f} s "
            f"| {_yes(f.plan <= target)} |"
        )
    fills = {f.store: f.fill_s for f in figures}
    made = ", ".join(f"{k} {v:.0f} s" for k, v in fills.items())
    return [*lines, "", f"Generating the learners took {made} (not timed above)."]


def _pace(runs: list[tuple[str, DeliveryRun]]) -> list[str]:
    lines = [
        "### Pace: 30 msg/s to the fake Telegram API",
        "",
        "One campaign, `KARMABOT_TELEGRAM_RATE=30`. Steady rate: messages the fake accepted "
        "per second while every worker was sending, less the first 2 s and the last 1 s. The "
        "busiest second is the most messages the fake received in any sliding 1-second window "
        "over the whole campaign, start included (Telegram's limit holds for any second), with "
        "when it began (s after the first message) and the busiest one after the first 2 s.",
        "",
        "| Pacer | Store, workers | Recipients | Steady msg/s | % of 30 | Busiest 1-s window "
        "| … after 2 s | Target (≥ 95 %, ≤ 30) |",
        "|---|---|--:|--:|--:|--:|--:|:-:|",
    ]
    for pacer, r in runs:
        share = r.steady_rate / PACE
        met = share >= PACE_SHARE and r.max_1s <= PACE and r.missing == 0 and r.duplicates == 0
        lines.append(
            f"| {pacer} | {r.store}, {r.processes} | {r.recipients:,} | {r.steady_rate:.1f} | "
            f"{share:.0%} | {r.max_1s} (at +{r.max_1s_at:.1f} s) | {r.max_1s_late} | {_yes(met)} |"
        )
    return lines


def _key(r: DeliveryRun) -> tuple[str, str, int]:
    return r.system, r.store, r.processes


def _median(runs: Sequence[DeliveryRun], attr: str) -> float:
    return statistics.median(float(getattr(r, attr)) for r in runs)


def _cpu(runs: Sequence[DeliveryRun], key: str) -> float:
    return statistics.median(r.cpu_ms(key) for r in runs)


def _ceiling(runs: list[list[DeliveryRun]], sweep: list[DeliveryRun]) -> list[str]:
    n, first = len(runs), runs[0]
    concurrency = first[0].concurrency
    lines = [
        "### The engine's ceiling, uncapped",
        "",
        f"Worker processes (`python -m bot.serve worker`, `KARMABOT_WORKER_CONCURRENCY="
        f"{concurrency}`, `KARMABOT_TELEGRAM_RATE=1000000`: the setting must be above 0, so this "
        f"stands for no cap) deliver one campaign of {first[0].recipients:,} recipients each "
        "run. Rate: messages the fake accepted per second over the span in which every worker "
        "was sending. Baseline, same run: the fake API's own ceiling, PTB's `Bot.send_message` "
        "in a tight loop (same message shape, same pool size, no database) in as many "
        "processes. **The fake runs on the same 2 cores** as the workers and PostgreSQL, so "
        f"every figure includes its cost. Median of {n} run{'s' if n > 1 else ''}. CPU is ms "
        "per message: the client processes (for workers, in brackets, their main thread, "
        "which runs the event loop: the rest is the executor threads' database calls and "
        "rendering), the fake, PostgreSQL's backends; *other* is the cores that processes "
        "outside the run used meanwhile (others' work on the machine: above ~0.2 the figures "
        "understate).",
        "",
        "| System | Store | Processes | msg/s | vs fake ceiling | Target | Met | CPU client "
        "| CPU fake | CPU PostgreSQL | Other (cores) |",
        "|---|---|--:|--:|--:|--:|:-:|--:|--:|--:|--:|",
    ]
    by_key: dict[tuple[str, str, int], list[DeliveryRun]] = {}
    for run in runs:
        for r in run:
            by_key.setdefault(_key(r), []).append(r)
    baseline = {k[2]: _median(v, "rate") for k, v in by_key.items() if k[0] == FAKE_CEILING}
    for (system, store, processes), group in by_key.items():
        rate = _median(group, "rate")
        versus = f"{rate / baseline[processes]:.0%}" if system != FAKE_CEILING else "–"
        target, met = "", ""
        if system != FAKE_CEILING and processes == 1:
            target, met = f"≥ {CEILING_TARGET:.0f}", _yes(rate >= CEILING_TARGET)
        pg = f"{_cpu(group, 'postgres'):.2f}" if store == "postgresql" else "–"
        other = statistics.median(r.other_cores for r in group)
        client = f"{_cpu(group, 'clients'):.2f}"
        if system != FAKE_CEILING:
            client += f" ({_cpu(group, 'loop'):.2f})"
        lines.append(
            f"| {system} | {store} | {processes} | {rate:.0f} | {versus} | {target} | {met} | "
            f"{client} | {_cpu(group, 'fake'):.2f} | {pg} | {other:.2f} |"
        )
    one = by_key.get(("worker", "postgresql", 1), [])
    two = by_key.get(("worker", "postgresql", 2), [])
    if one and two:
        ratio = statistics.median(b.rate / a.rate for a, b in zip(one, two, strict=True))
        fake = baseline.get(2, 0) / baseline.get(1, 1)
        lines += [
            "",
            f"Two workers on PostgreSQL ÷ one, median of the same-run ratios: **{ratio:.3f}×** "
            f"(target ≥ {SCALING_TARGET}×: {_yes(ratio >= SCALING_TARGET)}); the fake's own "
            f"ceiling went {fake:.2f}× from one client process to two.",
        ]
    bad = [r for run in runs for r in run if r.missing or r.duplicates]
    lines += ["", f"Every run delivered every message exactly once: {_yes(not bad)}."]
    if sweep:
        tried = ", ".join(f"{r.concurrency}: {r.rate:.0f} msg/s" for r in sweep)
        lines += [
            "",
            f"Concurrency tried first (one worker, PostgreSQL, one run each): {tried}; the "
            f"table uses {concurrency}.",
        ]
    return lines


def _crashes(crashes: list[CrashRun], store: str, rate: float) -> list[str]:
    lines = [
        "### Across a SIGKILL",
        "",
        f"A worker process ({store}, paced at {rate:.0f} msg/s) is killed with SIGKILL when "
        "the fake has received 20–60 % of the campaign, then started again under the same "
        "name. *Lost*: recipients neither received exactly once nor reported `unknown`. "
        "*Unknown*: sends in flight at the kill (never resent), and how many of them the fake "
        "had actually received.",
        "",
        "| Run | Recipients | Received at the kill | Requeued at restart | Sent | Duplicates "
        "| Lost | Unknown (received) | Met |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for number, c in enumerate(crashes, 1):
        lines.append(
            f"| {number} | {c.recipients:,} | {c.at_kill:,} | {c.requeued} | {c.sent:,} | "
            f"{c.duplicates} | {c.lost} | {c.unknown} ({c.unknown_received}) | {_yes(c.ok)} |"
        )
    return lines


def _details(results: Results) -> list[str]:
    lines = ["<details><summary>Per-run figures</summary>", ""]
    for f in results.planning:
        timed = ", ".join(f"{p:.2f}/{b:.2f}" for p, b in zip(f.plan_s, f.bare_s, strict=True))
        lines.append(f"- planning {f.store}, {f.cohort}: planning/bare s {timed}")
    sets = [(f"ceiling run {n}", run) for n, run in enumerate(results.ceiling, 1)]
    sets += [("concurrency sweep", results.sweep), ("pace", [r for _, r in results.pace])]
    for name, runs in sets:
        for r in runs:
            lines.append(
                f"- {name}: {r.system} {r.store} ×{r.processes} (concurrency {r.concurrency}): "
                f"{r.rate:.0f} msg/s over {r.span_s:.1f} s, steady {r.steady_rate:.1f}, "
                f"received {r.received:,} (missing {r.missing}, duplicates {r.duplicates}), "
                f"per client {r.by_label}, TCP connections {r.connections}"
            )
    return [*lines, "", "</details>"]


def section(
    results: Results, provenance: str, crash_store: str, crash_rate: float, quick: bool
) -> list[str]:
    """The whole section, as lines."""
    lines = ["## Campaigns: planning, pace, the engine's ceiling, a SIGKILL", "", provenance, ""]
    if quick:
        lines += ["**Quick run (`--quick`): small sizes, smoke test only; not the figures.**", ""]
    lines += [f"{note}" for note in results.notes] + ([""] if results.notes else [])
    if results.planning:
        lines += [*_planning(results.planning), ""]
    if results.pace:
        lines += [*_pace(results.pace), ""]
    if results.ceiling:
        lines += [*_ceiling(results.ceiling, results.sweep), ""]
    if results.crashes:
        lines += [*_crashes(results.crashes, crash_store, crash_rate), ""]
    return [*lines, *_details(results)]
