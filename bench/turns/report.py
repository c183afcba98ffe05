"""The "Dialogue turns" section of docs/PERFORMANCE.md, between its markers."""

from __future__ import annotations

import math
from pathlib import Path

from bench.turns.cpu import MACHINE, other_cores
from bench.turns.machine import Machine
from bench.turns.runner import BASELINES, HIGH_LATENCY, Bench, baseline
from bench.turns.stats import Summary, median_summary

START = "<!-- bench:turns:start -->"
END = "<!-- bench:turns:end -->"
HEADER = "# Performance\n\nBenchmarks live in `bench/`; each writes its own section below.\n"
PATHS = {"rest": "Rasa REST webhook", "gateway": "gateway `POST /chat/api`"}
P50_TARGET_MS, P99_TARGET_MS, RATIO_TARGET = 100.0, 400.0, 3.0
#: Karmabot's CPU per turn must be at most this share of its stock counterpart's.
CPU_SHARE_TARGET = 1 / RATIO_TARGET
#: Short names, for the verdict lines.
SHORT = {
    "stock": "stock Rasa, single process",
    "stock-scale": "stock Rasa scale",
    "embedded": "Karmabot embedded",
    "scale": "Karmabot scale",
    "scale-pg": "Karmabot scale on PostgreSQL",
}


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}"


def _system(bench: Bench, key: str) -> str:
    """A table's name for the system behind a target key."""
    w = bench.options.workers
    return {
        "stock": "Stock Rasa, single process (`rasa init`, in-memory stores)",
        "stock-scale": f"Stock Rasa scale (`rasa init`, {w} Sanic workers, Redis stores)",
        "embedded": "Karmabot embedded (1 Rasa worker, SQLite)",
        "scale": f"Karmabot scale ({w} Rasa workers, Redis stores, SQLite learners)",
        "scale-pg": f"Karmabot scale on PostgreSQL ({w} Rasa workers, Redis stores, "
        "PostgreSQL learners)",
    }[key.split("/")[0]]


def _path(key: str) -> str:
    return PATHS[key.split("/")[1]]


def _total_cpu(cpu: dict[str, float]) -> float:
    """CPU ms per turn of the system itself (not the load generator, not the machine)."""
    return sum(v for k, v in cpu.items() if k not in ("load generator", MACHINE))


def _versus(value: float, base: float | None) -> str:
    """`value / base` as ``1.23×``; ``baseline`` for a stock row, ``–`` without a base."""
    if base is None:
        return "baseline"
    return f"{value / base:.2f}×" if base and not math.isnan(base) else "–"


def _medians(bench: Bench, name: str) -> dict[str, Summary]:
    """Median summary of each target key of one measurement."""
    return {key: median_summary(runs) for key, runs in bench.results.get(name, {}).items() if runs}


def _base(medians: dict[str, Summary], key: str, value: str) -> float | None:
    """A figure (``throughput`` or ``cpu``) of `key`'s like-for-like baseline (NaN if absent)."""
    base = baseline(key)
    if base is None:
        return None
    if base not in medians:
        return float("nan")
    m = medians[base]
    return m.throughput if value == "throughput" else _total_cpu(m.cpu_ms)


LIKE_FOR_LIKE = (
    "× stock compares each Karmabot row with its like-for-like stock baseline: embedded with "
    "stock Rasa single process, scale and scale on PostgreSQL with stock Rasa scale."
)


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def capacity_table(bench: Bench) -> list[str]:
    """Markdown rows: capacity medians side by side, each with the ratio to its baseline."""
    medians = _medians(bench, "capacity")
    rows = [
        "| System | Path | turns/s | p50 ms | p95 ms | errors | × stock (like for like) |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for key, m in medians.items():
        ratio = _versus(m.throughput, _base(medians, key, "throughput"))
        rows.append(
            f"| {_system(bench, key)} | {_path(key)} | {m.throughput:.1f} | "
            f"{_ms(m.p50_ms)} | {_ms(m.p95_ms)} | {m.errors} | {ratio} |"
        )
    return rows


def latency_table(bench: Bench, name: str = "latency") -> list[str]:
    """Markdown rows: open-loop latency medians side by side, against the targets."""
    rows = [
        "| System | Path | turns/s done | p50 ms | p95 ms | p99 ms | errors "
        f"| p50 ≤ {P50_TARGET_MS:.0f} | p99 ≤ {P99_TARGET_MS:.0f} |",
        "|---|---|--:|--:|--:|--:|--:|:-:|:-:|",
    ]
    for key, runs in bench.results.get(name, {}).items():
        m = median_summary(runs)
        rows.append(
            f"| {_system(bench, key)} | {_path(key)} | {m.throughput:.1f} | "
            f"{_ms(m.p50_ms)} | {_ms(m.p95_ms)} | {_ms(m.p99_ms)} | {m.errors} | "
            f"{_met(m.p50_ms <= P50_TARGET_MS)} | {_met(m.p99_ms <= P99_TARGET_MS)} |"
        )
    return rows


def cpu_table(bench: Bench) -> list[str]:
    """Markdown rows: CPU milliseconds per turn in each process during the capacity runs."""
    medians = _medians(bench, "capacity")
    parts = ["rasa", "action server", "gateway", "worker"]
    rows = [
        "| System | Path | " + " | ".join(parts) + " | system total | × stock (like for like) "
        "| load generator | other processes (cores) |",
        "|---|---|" + "--:|" * (len(parts) + 4),
    ]
    for key, m in medians.items():
        cpu = m.cpu_ms
        cells = [_ms1(cpu[p]) if p in cpu else "–" for p in parts]
        total = _total_cpu(cpu)
        rows.append(
            f"| {_system(bench, key)} | {_path(key)} | {' | '.join(cells)} | "
            f"{_ms1(total)} | {_versus(total, _base(medians, key, 'cpu'))} | "
            f"{_ms1(cpu.get('load generator', float('nan')))} | "
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
            lines.append(f"- {name}, {_system(bench, key)}, {_path(key)}:")
            lines += [_run_line(i + 1, s) for i, s in enumerate(runs)]
    return [*lines, "", "</details>"]


def _pairs(medians: dict[str, Summary]) -> list[tuple[str, str]]:
    """(Karmabot profile, its stock baseline) for each pair measured on both sides."""
    return [
        (profile, stock)
        for profile, stock in BASELINES.items()
        if f"{profile}/gateway" in medians and f"{stock}/rest" in medians
    ]


def _capacity_line(medians: dict[str, Summary], profile: str, stock: str) -> str:
    """Capacity of one like-for-like pair against the target (gateway; REST for reference)."""
    base = medians[f"{stock}/rest"].throughput
    if not base:
        return f"- Capacity, {SHORT[profile]} vs {SHORT[stock]}: the baseline did no turns."
    gateway = medians[f"{profile}/gateway"].throughput / base
    rest = medians[f"{profile}/rest"].throughput / base if f"{profile}/rest" in medians else None
    also = f", {rest:.2f}× on the REST webhook" if rest is not None else ""
    return (
        f"- Capacity, **{SHORT[profile]} vs {SHORT[stock]}**: {gateway:.2f}× through the "
        f"gateway{also}; target ≥ {RATIO_TARGET:.0f}× through the gateway: "
        f"{_met(gateway >= RATIO_TARGET)}."
    )


def _cpu_line(medians: dict[str, Summary], profile: str, stock: str) -> str:
    """CPU per turn of one like-for-like pair against the target (gateway path)."""
    mine = _total_cpu(medians[f"{profile}/gateway"].cpu_ms)
    base = _total_cpu(medians[f"{stock}/rest"].cpu_ms)
    share = mine / base if base else float("nan")
    return (
        f"- CPU per turn, **{SHORT[profile]} vs {SHORT[stock]}**: {mine:.1f} ms through the "
        f"gateway vs {base:.1f} ms = {share:.2f}× (target ≤ {CPU_SHARE_TARGET:.2f}×: "
        f"{_met(share <= CPU_SHARE_TARGET)})."
    )


def cpu_per_system(bench: Bench) -> str:
    """One line: each system's CPU ms per turn in the capacity runs, per path."""
    by_system: dict[str, list[str]] = {}
    for key, m in _medians(bench, "capacity").items():
        system, path = key.split("/")
        by_system.setdefault(system, []).append(f"{_ms1(_total_cpu(m.cpu_ms))} ({path})")
    cells = [f"{SHORT[system]} {' / '.join(v)}" for system, v in by_system.items()]
    return "- CPU ms per turn, system total in the capacity runs: " + "; ".join(cells) + "."


def high_rate_line(bench: Bench) -> list[str]:
    """The scale profiles' p99 at the high open-loop rate against the target (none if not run)."""
    karmabot = {k: m for k, m in _medians(bench, HIGH_LATENCY).items() if baseline(k) is not None}
    if not karmabot:
        return []
    cells = [
        f"{SHORT[key.split('/')[0]]} {_ms(m.p99_ms)} ms"
        + (f" ({m.errors} errors)" if m.errors else "")
        for key, m in karmabot.items()
    ]
    met = all(m.p99_ms <= P99_TARGET_MS and not m.errors for m in karmabot.values())
    return [
        f"- Latency at {bench.options.high_rate:g} turns/s, scale profiles through the gateway: "
        f"p99 {'; '.join(cells)} (target ≤ {P99_TARGET_MS:.0f} ms, no errors: {_met(met)})."
    ]


def verdict(bench: Bench) -> list[str]:
    """The headline: each like-for-like pair's capacity ratio, then CPU per turn, vs targets,
    then the scale profiles' latency at the high rate."""
    medians = _medians(bench, "capacity")
    pairs = _pairs(medians)
    if not pairs:
        return []
    return [
        *(_capacity_line(medians, profile, stock) for profile, stock in pairs),
        cpu_per_system(bench),
        *(_cpu_line(medians, profile, stock) for profile, stock in pairs),
        *high_rate_line(bench),
    ]


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
        "- **Stock Rasa, single process**: the `rasa init --no-prompt` project (var/bench/stock) "
        "with its default config (DIET, TED, UnexpecTED, memoization and rule policies), "
        "in-memory tracker and lock stores, no action server, `rasa run` with 1 Sanic worker "
        "(Rasa ignores `SANIC_WORKERS` with an in-memory lock store), its REST webhook; "
        "learners use its own training phrases (hello, I am sad, yes, are you a bot?, great, "
        "goodbye …).",
        "- **Stock Rasa scale**: the same model and REST webhook, with "
        f"`SANIC_WORKERS={o.workers}` and Redis lock and tracker stores (the same Redis "
        "database as Karmabot's scale profiles, its own per-run key prefix, keys deleted "
        "afterwards; its endpoints file is written into the run directory): the baseline of "
        "Karmabot's scale profiles.",
        "- **Karmabot**: `bot.stack.Stack(settings, profile)`: action server (which also serves "
        "`/nlg`), Rasa with `models/karmabot.tar.gz`, gateway, delivery worker; a fresh data "
        "directory under var/bench/runs/. *embedded*: 1 Rasa worker, SQL tracker store on "
        f"SQLite, learner store on SQLite. *scale*: `SANIC_WORKERS={o.workers}`, Redis lock and "
        "tracker stores (per-run key prefix, deleted afterwards), learner store on SQLite. "
        "*scale on PostgreSQL*: the scale profile with the learner store (`DATABASE_URL`) in "
        "a fresh PostgreSQL database, created and migrated for this run and dropped at the "
        "end, and a Redis key prefix of its own.",
        "- **Like for like**: Karmabot embedded is compared with stock Rasa single process, "
        "Karmabot scale and scale on PostgreSQL with stock Rasa scale (same Sanic workers, "
        "same Redis stores). Targets: Karmabot's capacity through the gateway ≥ "
        f"{RATIO_TARGET:.0f}× its stock counterpart's, and its CPU per turn ≤ "
        f"1/{RATIO_TARGET:.0f} of it.",
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
        "- Stock Rasa does less per turn: no action server, no NLG call, no learner store (and "
        "single process: in-memory tracker). Karmabot turns do real work (learner lookup, "
        "actions, NLG render).",
        "- CPU per turn counts each system's own process trees (every Sanic worker and child "
        "process included). The shared Redis and PostgreSQL servers are not in any system "
        "total: their CPU shows under *other processes*, so the scale rows (Redis) and above "
        "all scale on PostgreSQL (its learner store) are understated there.",
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


def high_rate_section(bench: Bench) -> list[str]:
    """The latency table at the high rate, with its heading (none if it was not run)."""
    if not bench.results.get(HIGH_LATENCY):
        return []
    o = bench.options
    return [
        f"### Latency: {o.high_rate:g} turns/s on the scale profiles, Poisson arrivals "
        f"(median of {o.runs})",
        "",
        "Karmabot's scale profiles through the gateway, whose target this is (p99 ≤ "
        f"{P99_TARGET_MS:.0f} ms), beside stock Rasa scale; stock Rasa in one process serves "
        "about 50 turns a second at most, so queueing alone would decide its figures.",
        "",
        *latency_table(bench, HIGH_LATENCY),
        "",
    ]


def render(bench: Bench, machine: Machine, command: str, minutes: float) -> str:
    """The whole "Dialogue turns" section."""
    o = bench.options
    checks = verdict(bench)
    lines = [
        "## Dialogue turns",
        "",
        "Turns per second a server sustains (capacity) and how long a turn takes at a realistic "
        "load (latency): Karmabot against the stock bot that `rasa init` creates, like for "
        "like: one process against one process, scale against scale.",
        "",
        *machine_lines(machine, command, minutes),
        "",
        *(["### Like for like", "", *checks, ""] if checks else []),
        "### Set-up",
        "",
        *setup_lines(bench),
        "",
        f"### Capacity: {o.learners} concurrent learners, closed loop (median of {o.runs})",
        "",
        *capacity_table(bench),
        "",
        LIKE_FOR_LIKE,
        "",
        "CPU milliseconds per turn in each process over the same windows (user + system, "
        "child processes included; from /proc):",
        "",
        *cpu_table(bench),
        "",
        f"### Latency: {o.rate:g} turns/s, Poisson arrivals (median of {o.runs})",
        "",
        *latency_table(bench),
        "",
        *high_rate_section(bench),
        *details(bench),
        "",
        "### Notes",
        "",
        *notes(bench),
    ]
    return "\n".join(lines) + "\n"
