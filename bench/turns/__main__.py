"""`python -m bench.turns` (what `make bench` runs): see bench/README.md."""

from __future__ import annotations

import contextlib
import shlex
import sys
import time

from bench.turns import checks, report, runner
from bench.turns.machine import describe
from bench.turns.options import Options, parse
from bench.turns.stats import median_summary
from bench.turns.systems import BenchError, StockRasa, stock_model
from bot.stack import MODEL_PATH, StackError


def command(argv: list[str]) -> str:
    """The command line as typed (`make bench` for the plain full run)."""
    if not argv:
        return "make bench"
    return "python -m bench.turns " + shlex.join(argv)


def summary(bench: runner.Bench) -> None:
    """Print the medians, then the like-for-like verdict, at the end."""
    print("\nMedians:", flush=True)
    for name, table in bench.results.items():
        for key, runs in table.items():
            m = median_summary(runs)
            print(
                f"  {name:8} {key:17} {m.throughput:7.1f} turns/s  p50 {m.p50_ms:6.0f}  "
                f"p95 {m.p95_ms:6.0f}  p99 {m.p99_ms:6.0f} ms  errors {m.errors}"
            )
    lines = report.verdict(bench)
    if lines:
        print("\nLike for like:", flush=True)
        for line in lines:
            print(f"  {line.removeprefix('- ').replace('**', '')}", flush=True)


def execute(options: Options, argv: list[str]) -> runner.Bench:
    """Prepare, start, measure, stop; write the JSON and the report."""
    began = time.monotonic()
    machine = describe()
    print(f"Machine: {machine.cpu}, {machine.cores} cores; Rasa {machine.rasa}", flush=True)
    bench = runner.Bench(options, StockRasa(stock_model()))
    run_dir = runner.new_run_dir()
    with contextlib.ExitStack() as resources:  # the scale-pg database, dropped last
        bots = runner.prepare_bots(bench, run_dir, resources)
        try:
            runner.start_all(bench, bots, run_dir)
            runner.build_targets(bench)
            checks.check_paths(bench)
            checks.check_stores(bench)
            runner.run_capacity(bench)
            runner.run_latency(bench)
            runner.run_high_latency(bench)
        finally:
            print("  stopping …", flush=True)
            runner.stop_all(bench, bots)
            checks.scan_logs(bench, runner.log_dirs(bench, run_dir))
    print(f"Raw figures: {runner.save_json(bench, run_dir)}", flush=True)
    minutes = (time.monotonic() - began) / 60
    section = report.render(bench, machine, command(argv), minutes)
    report.write_section(options.doc, section)
    print(f"Report: {options.doc} ({minutes:.1f} min)", flush=True)
    return bench


def main(argv: list[str] | None = None) -> int:
    """Run the dialogue-turn benchmark; 0 on success, 1 when it could not run."""
    args = sys.argv[1:] if argv is None else argv
    options = parse(args)
    if not MODEL_PATH.exists():
        print(f"No Karmabot model at {MODEL_PATH}: run `make model` first.", file=sys.stderr)
        return 1
    try:
        summary(execute(options, args))
    except (BenchError, StackError) as exc:
        print(f"bench.turns: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
