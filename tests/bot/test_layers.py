"""The layer contract (pyproject.toml, `[tool.importlinter]`) holds, and it does catch breaches."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from core.settings import PROJECT_ROOT

PACKAGES = ("core", "learning", "knowledge", "actions", "connectors", "bot")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on `tree` (it analyses the packages in its working directory)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, check=False
    )


def copy_project(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_project_keeps_every_contract(tmp_path: Path) -> None:
    result = lint(copy_project(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_upward_and_forbidden_imports_break_the_contract(tmp_path: Path) -> None:
    tree = copy_project(tmp_path)
    append(tree / "learning" / "courses.py", "import bot.cli")
    append(tree / "learning" / "content.py", "import rasa_sdk")
    append(tree / "knowledge" / "gaps.py", "import actions.base")
    append(tree / "knowledge" / "text.py", "import learning.events")
    append(tree / "connectors" / "console.py", "import core.settings")
    append(tree / "core" / "scripts.py", "import learning.replies")
    result = lint(tree)
    assert result.returncode != 0
    for breach in (
        "learning.courses -> bot.cli",
        "learning.content -> rasa_sdk",
        "knowledge.gaps -> actions.base",
        "knowledge.text -> learning.events",
        "connectors.console -> core.settings",
        "core.scripts -> learning.replies",
    ):
        assert breach in result.stdout, breach
