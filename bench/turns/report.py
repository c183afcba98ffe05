"""The "Dialogue turns" section of docs/PERFORMANCE.md, between its markers."""

from __future__ import annotations

import math
from pathlib import Path

from bench.turns.cpu import MACHINE, other_cores
from bench.turns.machine import Machine
from bench.turns.runner import Bench
from bench.turns.stats import Summary, median_summary

START = "<!-- bench:turns:start -->"
END = "<!-- bench:turns:end -->"
HEADER = "# Performance\n\nBenchmarks live in `bench/`; each writes its own section below.\n"
PATHS = {"rest": "Rasa REST webhook", "gateway": "gateway `POST /chat/api`"}
P50_TARGET_MS, P99_TARGET_MS, RATIO_TARGET = 100.0, 400.0, 3.0


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}"


def _system(bench: Bench, key: str) -> str:
    profile = key.split("/")[0]
    if profile == "stock":
        return "Stock Rasa (`rasa init`, default config)"
    if profile == "scale":
        return f"Karmabot scale ({bench.options.workers} Rasa workers, Redis)"
    return "Karmabot embedded (1 Rasa worker, SQLite)"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def capacity_table(bench: Bench) -> list[str]:
    """Markdown rows: capacity medians side by side, with the ratio to stock."""
    table = bench.results.get("capacity", {})
    stock = median_summary(table["stock/rest"]).throughput if table.get("stock/rest") else 0.0
    rows = [
        "| System | Path | turns/s | p50 ms | p95 ms | errors | × stock |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for key, runs in table.items():
        m = median_summary(runs)
        ratio = f"{m.throughput / stock:.2f}×" if stock else "–"
        rows.append(
            f"| {_system(bench, key)} | {PATHS[key.split('/')[1]]} | {m.throughput:.1f} | "
            f"{_ms(m.p50_ms)} | {_ms(m.p95_ms)} | {m.errors} | {ratio} |"
        )
    return rows


def latency_table(bench: Bench) -> list[str]:
    """Markdown rows: open-loop latency medians side by side, against the targets."""
    rows = [
        "| System | Path | turns/s done | p50 ms | p95 ms | p99 ms | errors "
        f"| p50 ≤ {P50_TARGET_MS:.0f} | p99 ≤ {P99_TARGET_MS:.0f} |",
        "|---|---|--:|--:|--:|--:|--:|:-:|:-:|",
    ]
    for key, runs in bench.results.get("latency", {}).items():
        m = median_summary(runs)
        rows.append(
            f"| {_system(bench, key)} | {PATHS[key.split('/')[1]]} | {m.throughput:.1f} | "
            f"{_ms(m.p50_ms)} | {_ms(m.p95_ms)} | {_ms(m.p99_ms)} | {m.errors} | "
            f"{_met(m.p50_ms <= P50_TARGET_MS)} | {_met(m.p99_ms <= P99_TARGET_MS)} |"
        )
    return rows


def cpu_table(bench: Bench) -> list[str]:
    """Markdown rows: CPU milliseconds per turn in each process during the capacity runs."""
    table = bench.results.get("capacity", {})
    parts = ["rasa", "action server", "gateway"]
    rows = [
        "| System | Path | " + " | ".join(parts) + " | system total | load generator "
        "| other processes (cores) |",
        "|---|---|" + "--:|" * (len(parts) + 3),
    ]
    for key, runs in table.items():
        m = median_summary(runs)
        cpu = m.cpu_ms
        cells = [_ms1(cpu[p]) if p in cpu else "–" for p in parts]
        total = sum(v for k, v in cpu.items() if k not in ("load generator", MACHINE))
        rows.append(
            f"| {_system(bench, key)} | {PATHS[key.split('/')[1]]} | {' | '.join(cells)} | "
            f"{_ms1(total)} | {_ms1(cpu.get('load generator', float('nan')))} | "
            f"{other_cores(cpu, m.throughput):.2f} |"
        )
    return rows


def _ms1(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def _run_line(index: int, s: Summary) -> str:
    kinds = ", ".join(f"{k}: {v}" for k, v in sorted(s.error_kinds.items()))
    return (
        f"  - run {index}: {s.throughput:.1f} turns/s, p50 {_ms(s.p50_ms)} ms, "
        f"p95 {_ms(s.p95_ms)} ms, p99 {_ms(s.p99_ms)} ms, max {_ms(s.max_ms)} ms, "
        f"{s.turns} turns, {s.errors} errors{f' ({kinds})' if kinds else ''}, "
        f"{s.empty} empty replies, other processes {other_cores(s.cpu_ms, s.throughput):.2f} "
        "cores"
    )


def details(bench: Bench) -> list[str]:
    """Per-run figures, folded."""
    lines = ["<details><summary>Per-run figures</summary>", ""]
    for name, table in bench.results.items():
        for key, runs in table.items():
            lines.append(f"- {name}, {_system(bench, key)}, {PATHS[key.split('/')[1]]}:")
            lines += [_run_line(i + 1, s) for i, s in enumerate(runs)]
    return [*lines, "", "</details>"]


def verdict(bench: Bench) -> list[str]:
    """One line per target: met or not."""
    table = bench.results.get("capacity", {})
    if "stock/rest" not in table:
        return []
    stock = median_summary(table["stock/rest"]).throughput
    lines = []
    for key, runs in table.items():
        if key.endswith("/gateway") and stock:
            ratio = median_summary(runs).throughput / stock
            lines.append(
                f"- Capacity, {_system(bench, key)} through the gateway: {ratio:.2f}× stock "
                f"(target ≥ {RATIO_TARGET:.0f}×: {_met(ratio >= RATIO_TARGET)})."
            )
    return lines


def machine_lines(m: Machine, command: str, minutes: float) -> list[str]:
    """How and where the figures were produced."""
    return [
        f"Measured with `{command}`"
        + (" (which runs `.venv/bin/python -m bench.turns`)" if command == "make bench" else "")
        + f" on {m.date}; the whole run took {minutes:.1f} min.",
        "",
        f"- Machine: {m.cpu}, {m.cores} cores, {m.ram_gib:.0f} GiB RAM, Linux {m.kernel}.",
        f"- Software: Rasa {m.rasa} (Python {m.rasa_python}, Sanic {m.sanic}); "
        f"gateway, action server (rasa-sdk {m.rasa_sdk}) and load generator on Python {m.python}.",
    ]


def write_section(path: Path, section: str) -> None:
    """Replace the text between the markers in `path`, or append the section."""
    block = f"{START}\n{section.rstrip()}\n{END}\n"
    text = path.read_text() if path.exists() else HEADER
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def setup_lines(bench: Bench) -> list[str]:
    """What was compared and how it was loaded."""
    o = bench.options
    mix = ", ".join(f'"{t}"' for t in sorted({t for s in bench_scripts() for t in s}))
    return [
        "- **Stock Rasa**: the `rasa init --no-prompt` project (var/bench/stock) with its default "
        "config (DIET, TED, UnexpecTED, memoization and rule policies), in-memory tracker store, "
        "no action server, `rasa run` with 1 Sanic worker (Rasa ignores `SANIC_WORKERS` with an "
        "in-memory lock store), its REST webhook; learners use its own "
        "training phrases (hello, I am sad, yes, are you a bot?, great, goodbye …).",
        "- **Karmabot**: `bot.stack.Stack(settings, profile)`: action server (which also serves "
        "`/nlg`), Rasa with `models/karmabot.tar.gz`, gateway; a fresh data directory under "
        "var/bench/runs/. *embedded*: 1 Rasa worker, SQL tracker store on SQLite. *scale*: "
        f"`SANIC_WORKERS={o.workers}`, Redis lock and tracker stores (per-run key prefix, deleted "
        "afterwards). The learner store is SQLite in both.",
        f"- **Capacity** (closed loop): {o.learners} learners, each sending its next turn as soon "
        f"as the reply arrives, a fresh conversation (new sender id, so session start is "
        f"included) every {o.turns_per_sender} turns; {o.warmup_s:.0f} s warm-up, then "
        f"{o.window_s:.0f} s measured. Turns/s = successful turns completed in the window / "
        f"window. Karmabot turns: {mix}.",
        f"- **Latency** (open loop): Poisson arrivals at {o.rate:g} turns/s (seeded exponential "
        f"gaps), {o.latency_warmup_s:.0f} s warm-up, {o.latency_window_s:.0f} s measured, over "
        "lesson, quiz, progress and question turns; latency runs from each turn's scheduled "
        "arrival, so queueing is not hidden.",
        f"- Each measurement ran {o.runs}×, systems alternating (the order rotates each run); "
        "tables show the median of the runs, errors are totals. Per-request timeout "
        f"{o.timeout_s:.0f} s; timeouts, connection errors, non-200 answers and malformed bodies "
        "count as errors, percentiles cover successful turns.",
    ]


def bench_scripts() -> tuple[tuple[str, ...], ...]:
    """Every Karmabot script (for the report's list of turns)."""
    from bench.turns import scripts

    return scripts.KARMABOT_CAPACITY + scripts.KARMABOT_LATENCY


def notes(bench: Bench) -> list[str]:
    """Caveats that hold for every run, then this run's own notes."""
    return [
        "- All systems run at once on this machine; only the one measured receives load. The "
        "load generator (Python, aiohttp) shares the same cores, so absolute figures are below "
        "what a separate client would see; ratios are fairer than absolutes.",
        "- Stock Rasa does less per turn: no action server, no NLG call, no learner store, an "
        "in-memory tracker. Karmabot turns do real work (learner lookup, actions, NLG render).",
        "- An *empty* reply is a 200 answer with no message; it is not an error but is counted.",
        *background(bench),
        *[f"- {note}" for note in bench.notes],
    ]


def background(bench: Bench, limit: float = 0.2) -> list[str]:
    """A warning when other work on the machine used CPU during the measured windows."""
    busy = [
        (other_cores(s.cpu_ms, s.throughput), name, key, i + 1)
        for name, table in bench.results.items()
        for key, runs in table.items()
        for i, s in enumerate(runs)
    ]
    noisy = sorted((b for b in busy if b[0] > limit), reverse=True)
    if not noisy:
        return [f"- No other work used more than {limit:.1f} cores during any measured window."]
    worst = noisy[0]
    return [
        f"- **Other processes on the machine used CPU** during {len(noisy)} of {len(busy)} "
        f"measured windows (more than {limit:.1f} cores; worst {worst[0]:.2f} cores in "
        f"{worst[1]} run {worst[3]} of {worst[2]}); those figures are understated."
    ]


def render(bench: Bench, machine: Machine, command: str, minutes: float) -> str:
    """The whole "Dialogue turns" section."""
    o = bench.options
    checks = verdict(bench)
    lines = [
        "## Dialogue turns",
        "",
        "Turns per second a server sustains (capacity) and how long a turn takes at a realistic "
        "load (latency): Karmabot against the stock bot that `rasa init` creates.",
        "",
        *machine_lines(machine, command, minutes),
        "",
        "### Set-up",
        "",
        *setup_lines(bench),
        "",
        f"### Capacity: {o.learners} concurrent learners, closed loop (median of {o.runs})",
        "",
        *capacity_table(bench),
        "",
        *([*checks, ""] if checks else []),
        "CPU milliseconds per turn in each process over the same windows (user + system, "
        "child processes included; from /proc):",
        "",
        *cpu_table(bench),
        "",
        f"### Latency: {o.rate:g} turns/s, Poisson arrivals (median of {o.runs})",
        "",
        *latency_table(bench),
        "",
        *details(bench),
        "",
        "### Notes",
        "",
        *notes(bench),
    ]
    return "\n".join(lines) + "\n"
