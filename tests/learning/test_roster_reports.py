"""CSVs written for people are safe to open in a spreadsheet: no cell starts like a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learning.content import Library
from learning.invites import Invitation, Invites
from learning.invites import write_csv as write_invites
from learning.records import RecordStore
from learning.report import progress_rows, spreadsheet_safe, write_csv
from learning.roster import import_rows, parse
from tests.learning.store import migrated

HOSTILE = [
    '=HYPERLINK("http://evil.example/x","Click")',
    "+91 98765 43210",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_cells_starting_like_a_formula_get_a_leading_quote(value: str) -> None:
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Asha Rao", "919876543210", "a=b", "", 42, -3, None])
def test_other_values_are_left_alone(value: object) -> None:
    assert spreadsheet_safe(value) is value


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated, empty learner store."""
    made = migrated(db_url)
    yield made
    made.kw["bind"].dispose()


def test_the_progress_report_escapes_what_learners_typed(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "organisation", "role"])
        writer.writerow([HOSTILE[0], "9876500001", "=Evil Org", "@role"])
        writer.writerow(["Ravi", "9876500002", "DoPT", "-1"])
    rows, errors = parse(path, {"en"})
    assert errors == []
    import_rows(sessions, rows)
    out = io.StringIO()
    write_csv(progress_rows(sessions, RecordStore(sessions), Library(), ""), out)
    written = {r["name"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    hostile = written["'" + HOSTILE[0]]
    assert (hostile["organisation"], hostile["role"]) == ("'=Evil Org", "'@role")
    assert written["Ravi"]["role"] == "'-1" and written["Ravi"]["karma_points"] == "0"
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        for row in csv.reader(io.StringIO(out.getvalue()))
        for cell in row
    )


def test_the_invite_list_escapes_names_and_keeps_phones_as_digits(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text('name,phone,organisation\n"=1+1",+91 98765 00001,+Org\n', encoding="utf-8")
    import_rows(sessions, parse(path, {"en"})[0])
    issued = Invites(sessions).issue_for_roster()
    out = io.StringIO()
    assert write_invites(issued, out, "@karmabot_bot") == 1
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert header == ["name", "organisation", "phone", "code", "link"]
    code = issued[0].code
    assert row == [
        "'=1+1",
        "'+Org",
        "919876500001",
        code,
        f"https://t.me/karmabot_bot?start={code}",
    ]
    bare = io.StringIO()
    write_invites([Invitation("id", "-x", "", "", "CODE")], bare)
    assert bare.getvalue().splitlines()[1] == "'-x,,,CODE,"
