"""Roster import: row-by-row validation, supervisors, re-import that updates, never duplicates."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa

from learning.content import Library
from learning.db import make_engine, session_factory, upgrade
from learning.records import RecordStore
from learning.report import progress_rows, write_csv
from learning.repository import SqlLearnerRepository
from learning.roster import import_rows, normalise_phone, parse

ROSTER = """name,phone,telegram,organisation,role,supervisor,language
Asha Rao,+91 98765 43210,@asha_rao,DoPT,Section Officer,98123 45678,hi
Ravi Kumar,9812345678,,DoPT,Under Secretary,,en
,9800000000,,DoPT,,,en
Meena,12345,,DoPT,,,ta
Murugan,,55501234,TN Secretariat,Assistant,,ta
Bad Lang,9876500000,,DoPT,,,xx
Copy,98765 43210,,DoPT,,,en
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_phones_are_normalised_to_whatsapp_form() -> None:
    assert normalise_phone("+91 98765 43210") == normalise_phone("098765-43210") == "919876543210"
    assert normalise_phone("12345") is None


def test_bad_rows_are_reported_by_line_and_good_rows_import(db_url: str, tmp_path: Path) -> None:
    rows, errors = parse(write(tmp_path, ROSTER), {"en", "hi", "ta"})
    assert [(e.line, e.message.split(" ")[0]) for e in errors] == [
        (4, "name"),
        (5, "phone"),
        (7, "language"),
        (8, "919876543210"),
    ]
    assert [r.name for r in rows] == ["Asha Rao", "Ravi Kumar", "Murugan"]
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    report = import_rows(sessions, rows)
    assert (report.created, report.updated, report.errors) == (3, 0, [])
    repo = SqlLearnerRepository(sessions)
    asha = repo.get_by_channel("whatsapp", "919876543210")
    ravi = repo.get_by_channel("whatsapp", "919812345678")
    murugan = repo.get_by_channel("telegram", "55501234")
    assert asha and ravi and murugan
    assert (asha.language, asha.role, asha.supervisor_id) == ("hi", "Section Officer", ravi.id)
    # Re-import with a changed role updates the same learners.
    again, _ = parse(
        write(tmp_path, ROSTER.replace("Under Secretary", "Deputy Secretary")), {"en", "hi", "ta"}
    )
    report = import_rows(sessions, again)
    assert (report.created, report.updated) == (0, 3)
    assert repo.count() == 3
    assert repo.get(ravi.id).role == "Deputy Secretary"  # type: ignore[union-attr]
    engine.dispose()


def test_unknown_columns_stop_the_import(tmp_path: Path) -> None:
    rows, errors = parse(write(tmp_path, "name,mobile\nA,9812345678\n"), {"en"})
    assert rows == [] and "unknown column 'mobile'" in errors[0].message


def test_report_lists_learners_of_an_organisation(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    rows, _ = parse(write(tmp_path, ROSTER), {"en", "hi", "ta"})
    import_rows(sessions, rows)
    out = io.StringIO()
    count = write_csv(progress_rows(sessions, RecordStore(sessions), Library(), "dopt"), out)
    assert count == 2 and "Asha Rao" in out.getvalue() and "Murugan" not in out.getvalue()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM learners")).scalar() == 3
    engine.dispose()
