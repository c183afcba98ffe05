"""Write one benchmark's section of docs/PERFORMANCE.md between its markers."""

from __future__ import annotations

import sys
from pathlib import Path

from core.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "PERFORMANCE.md"


def write_section(name: str, section: str, path: Path = DOC) -> None:
    """Replace the text between ``<!-- bench:NAME:start/end -->`` in `path`, or append it."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{section.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def provenance(module: str, argv: list[str] | None) -> str:
    """The "Command: … Machine: …" line of a report section."""
    from bench.turns.machine import describe

    machine = describe()
    command = " ".join([f"python -m {module}", *(sys.argv[1:] if argv is None else argv)])
    return (
        f"Command: `{command}` (part of `make bench`). Machine: {machine.cpu}, "
        f"{machine.cores} cores, {machine.ram_gib:.0f} GiB; {machine.date}."
    )
