"""A description of the machine and software the benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bot.stack import RASA_BIN

VERSIONS = (
    "import sys, importlib.metadata as m; "
    "print(sys.version.split()[0], m.version('rasa'), m.version('sanic'))"
)


@dataclass(frozen=True)
class Machine:
    """Hardware and versions, for the report."""

    cpu: str
    cores: int
    ram_gib: float
    kernel: str
    python: str
    rasa_python: str
    rasa: str
    sanic: str
    rasa_sdk: str
    date: str


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def _rasa_versions() -> tuple[str, str, str]:
    python = RASA_BIN.with_name("python")
    try:
        out = subprocess.run(
            [str(python), "-c", VERSIONS], capture_output=True, text=True, timeout=60, check=True
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "unknown", "unknown", "unknown"
    return out[0], out[1], out[2]


def describe() -> Machine:
    """Describe this machine now."""
    rasa_python, rasa, sanic = _rasa_versions()
    try:
        sdk = metadata.version("rasa-sdk")
    except metadata.PackageNotFoundError:
        sdk = "unknown"
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 0,
        ram_gib=_ram_gib(),
        kernel=platform.release(),
        python=sys.version.split()[0],
        rasa_python=rasa_python,
        rasa=rasa,
        sanic=sanic,
        rasa_sdk=sdk,
        date=time.strftime("%Y-%m-%d %H:%M %Z"),
    )
