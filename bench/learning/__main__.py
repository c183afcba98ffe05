"""`python -m bench.learning`: learner records, the course journey and the roster import
(docs/PERFORMANCE.md)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.doc import provenance, write_section
from bench.learning import journey, records, roster, sync
from core.settings import PROJECT_ROOT, get_settings

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "content"
#: Sections: "learning" (recording, sync, journey) and "roster" (roster import).
MEASURES = ("learning", "roster")


def main(argv: list[str] | None = None) -> int:
    """Run the measures --only names and write their sections."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--operations", type=int, default=300)
    parser.add_argument("--learners", type=int, default=5)
    parser.add_argument("--doc", type=Path, default=PROJECT_ROOT / "docs" / "PERFORMANCE.md")
    parser.add_argument(
        "--only", default=",".join(MEASURES), help="comma-separated: " + ", ".join(MEASURES)
    )
    parser.add_argument("--roster-rows", type=int, default=10_000, help="fresh and re-import")
    parser.add_argument("--roster-large", type=int, default=100_000, help="large fresh import")
    parser.add_argument("--roster-large-on", default="both", help="sqlite, postgresql, both, none")
    parser.add_argument("--roster-runs", type=int, default=3, help="roster runs (medians)")
    options = parser.parse_args(argv)
    only = {m.strip() for m in options.only.split(",")}
    if "roster" in only:
        print("roster import …", flush=True)
        runs = [
            roster.measure(options.roster_rows, options.roster_large, options.roster_large_on)
            for _ in range(options.roster_runs)
        ]
        lines = ["## Roster import", "", provenance("bench.learning", argv), ""]
        lines += roster.table(roster.medians(runs), options.roster_runs)
        write_section("roster", "\n".join(lines), options.doc)
        print("\n".join(lines))
    if "learning" not in only:
        return 0
    print("recording completions …", flush=True)
    figures = records.measure(options.runs, options.operations)
    print("outbox sync to a fake LRS …", flush=True)
    synced = sync.measure(5000, 100, options.runs)
    content = get_settings().content_dir
    content = content if (content / ".").is_dir() and any(content.glob("*/course.yml")) else FIXTURE
    print(f"course journey through the stack ({content}) …", flush=True)
    run_dir = PROJECT_ROOT / "var" / "bench" / f"journey-{int(time.time())}"
    course, turns = journey.measure(content, options.learners, run_dir)
    lines = [
        "## Learner records and the course journey",
        "",
        provenance("bench.learning", argv),
        "",
        "### Recording a completion",
        "",
        *records.table(figures, options.runs, options.operations),
        "",
        "### Outbox sync to an LRS",
        "",
        *sync.table(synced, options.runs),
        "",
        "### A course end to end, per turn",
        "",
        *journey.table(course, turns, options.learners),
    ]
    write_section("learning", "\n".join(lines), options.doc)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
