"""`karmabot learners import|report|invite` as an operator runs them."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli
from bot.container import container
from core.settings import get_settings
from learning.repository import SqlLearnerRepository

Invoke = Callable[..., tuple[int, str]]
EXCEL = (
    "name;phone;organisation;role\r\n"
    "José Müller;98765 00001;DoPT;=Clerk\r\n"
    "Ravi;9876500002;DoPT;\r\n"
)


@pytest.fixture
def karmabot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Invoke]:
    """Run the CLI on a fresh data directory."""
    monkeypatch.setenv("KARMABOT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    container.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli.app, list(args))
        return result.exit_code, result.output

    yield invoke
    get_settings.cache_clear()
    container.cache_clear()


def count() -> int:
    return SqlLearnerRepository(container().sessions).count()


def test_an_excel_roster_imports_and_reports_open_in_excel(
    karmabot: Invoke, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(EXCEL.encode("cp1252"))
    code, out = karmabot("learners", "import", str(roster))
    assert code == 0, out
    assert out.strip() == f"{roster}: 2 created, 0 updated, 1 organisations, 0 rows skipped"
    report, invites = tmp_path / "report.csv", tmp_path / "invites.csv"
    assert karmabot("learners", "report", "-o", str(report))[0] == 0
    assert karmabot("learners", "invite", "-o", str(invites))[0] == 0
    for path in (report, invites):
        assert path.read_bytes().startswith(codecs.BOM_UTF8)  # Excel then reads UTF-8
    assert "José Müller" in report.read_text(encoding="utf-8-sig")
    assert ",'=Clerk," in report.read_text(encoding="utf-8-sig")


def test_an_unreadable_file_imports_nothing_in_one_line(karmabot: Invoke, tmp_path: Path) -> None:
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(b"PK\x03\x04" + bytes(100))
    code, out = karmabot("learners", "import", str(roster))
    assert code == 1 and len(out.strip().splitlines()) == 1
    assert "Excel workbook (.xlsx)" in out and out.strip().endswith("nothing imported")
    assert count() == 0


def test_strict_imports_nothing_and_the_default_skips_bad_rows(
    karmabot: Invoke, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,phone\nAsha,9876500001\nMeena,12345\n", encoding="utf-8")
    code, out = karmabot("learners", "import", "--strict", str(roster))
    assert code == 1 and "line 3: phone '12345' is not a valid number" in out
    assert "nothing imported (--strict)" in out and count() == 0
    code, out = karmabot("learners", "import", str(roster))
    assert code == 1 and "1 created, 0 updated, 0 organisations, 1 rows skipped" in out
    assert count() == 1
