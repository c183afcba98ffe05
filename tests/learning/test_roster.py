"""Roster import: row-by-row validation, supervisors, re-import that updates, never duplicates."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import OrganisationRow
from learning.content import Library
from learning.db import make_engine, session_factory, upgrade
from learning.models import EnrollmentRow, LearnerRow
from learning.records import RecordStore
from learning.report import progress_rows, write_csv
from learning.repository import SqlLearnerRepository
from learning.roster import ImportReport, import_rows, normalise_phone, parse

ROSTER = """name,phone,telegram,organisation,role,supervisor,language
Asha Rao,+91 98765 43210,@asha_rao,DoPT,Section Officer,98123 45678,hi
Ravi Kumar,9812345678,,DoPT,Under Secretary,,en
,9800000000,,DoPT,,,en
Meena,12345,,DoPT,,,ta
Murugan,,55501234,TN Secretariat,Assistant,,ta
Bad Lang,9876500000,,DoPT,,,xx
Copy,98765 43210,,DoPT,,,en
"""


LANGUAGES = {"en", "hi", "ta"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated, empty learner store."""
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    yield session_factory(engine)
    engine.dispose()


def load(sessions: sessionmaker[Session], tmp_path: Path, text: str) -> ImportReport:
    """Parse a roster that must have no bad rows, and import it."""
    rows, errors = parse(write(tmp_path, text), LANGUAGES)
    assert errors == []
    return import_rows(sessions, rows)


def organisations(sessions: sessionmaker[Session]) -> dict[str, OrganisationRow]:
    with sessions() as session:
        return {o.name: o for o in session.scalars(sa.select(OrganisationRow))}


def learners(sessions: sessionmaker[Session]) -> dict[str, LearnerRow]:
    with sessions() as session:
        return {str(r.name): r for r in session.scalars(sa.select(LearnerRow))}


def enrollments(sessions: sessionmaker[Session]) -> dict[tuple[str, str], EnrollmentRow]:
    with sessions() as session:
        rows = session.scalars(sa.select(EnrollmentRow))
        return {(r.learner_id, r.course_id): r for r in rows}


def errors_of(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    return [(e.line, e.message) for e in parse(write(tmp_path, text), LANGUAGES)[1]]


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


TREE = """name,phone,organisation,parent_organisation
Asha,9876500001,District A,State
Ravi,9876500002,State,Union
Meena,9876500003,Block 1,District A
Kumar,9876500004,District A,
Devi,9876500005,,
"""


def test_organisations_are_imported_as_a_tree(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    report = load(sessions, tmp_path, TREE)
    assert (report.created, report.organisations, report.errors) == (5, 4, [])
    orgs = organisations(sessions)
    assert set(orgs) == {"Union", "State", "District A", "Block 1"}
    union, state, district, block = (orgs[n] for n in ("Union", "State", "District A", "Block 1"))
    assert (union.parent_id, state.parent_id) == (None, union.id)
    assert (district.parent_id, block.parent_id) == (state.id, district.id)
    assert union.path == f"/{union.id}/"
    assert (
        block.path
        == f"{district.path}{block.id}/"
        == f"/{union.id}/{state.id}/{district.id}/{block.id}/"
    )
    assert block.path.startswith(district.path) and district.path.startswith(state.path)
    people = learners(sessions)
    assert (people["Asha"].organisation, people["Devi"].organisation) == ("District A", None)
    # A re-import changes nothing: same organisations, same places, no new learners.
    again = load(sessions, tmp_path, TREE)
    assert (again.created, again.updated, again.organisations) == (0, 5, 4)
    assert {n: (o.id, o.path) for n, o in organisations(sessions).items()} == {
        n: (o.id, o.path) for n, o in orgs.items()
    }


def test_organisations_without_parents_are_ensured(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows, _ = parse(write(tmp_path, ROSTER), LANGUAGES)
    assert import_rows(sessions, rows).organisations == 2
    orgs = organisations(sessions)
    assert set(orgs) == {"DoPT", "TN Secretariat"}
    assert all(o.parent_id is None and o.path == f"/{o.id}/" for o in orgs.values())


def test_re_import_moves_an_organisation_with_its_subtree(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(sessions, tmp_path, TREE)
    before = organisations(sessions)
    moved = "name,phone,organisation,parent_organisation\nAsha,9876500001,District A,Union\n"
    report = load(sessions, tmp_path, moved)
    assert (report.created, report.updated, report.errors) == (0, 1, [])
    orgs = organisations(sessions)
    union, state, district, block = (orgs[n] for n in ("Union", "State", "District A", "Block 1"))
    assert len(orgs) == 4 and district.id == before["District A"].id
    assert district.parent_id == union.id and district.path == f"{union.path}{district.id}/"
    assert block.path == f"{district.path}{block.id}/"  # the subtree moved along
    assert not block.path.startswith(state.path)
    # An empty parent cell leaves the organisation where it is.
    load(
        sessions,
        tmp_path,
        "name,phone,organisation,parent_organisation\nAsha,9876500001,District A,\n",
    )
    assert organisations(sessions)["District A"].parent_id == union.id


def test_a_cycle_is_a_row_error_on_the_line_that_closes_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    text = """name,phone,organisation,parent_organisation
Asha,9876500001,District A,State
Ravi,9876500002,Block 1,District A
Meena,9876500003,State,Block 1
"""
    report = load(sessions, tmp_path, text)
    assert [e.line for e in report.errors] == [4]
    assert "cycle" in report.errors[0].message and "'Block 1'" in report.errors[0].message
    assert report.created == 3  # the learner is imported; only the link is refused
    orgs = organisations(sessions)
    assert orgs["State"].parent_id is None and orgs["State"].path == f"/{orgs['State'].id}/"
    assert orgs["Block 1"].path.startswith(orgs["District A"].path)
    assert learners(sessions)["Meena"].organisation == "State"
    # A cycle with the tree already stored is caught the same way.
    back = "name,phone,organisation,parent_organisation\nAsha,9876500001,State,District A\n"
    report = load(sessions, tmp_path, back)
    assert [(e.line, "cycle" in e.message) for e in report.errors] == [(2, True)]
    assert organisations(sessions)["State"].parent_id is None


def test_bad_organisation_cells_are_row_errors(tmp_path: Path) -> None:
    text = f"""name,phone,organisation,parent_organisation
Asha,9876500001,,State
Ravi,9876500002,State,State
Meena,9876500003,Block 1,District A
Kumar,9876500004,Block 1,District B
Devi,9876500005,{"X" * 201},
Lata,9876500006,Block 1,
"""
    errors = errors_of(tmp_path, text)
    assert [line for line, _ in errors] == [2, 3, 5, 6]
    assert "needs an organisation" in errors[0][1]
    assert "own parent" in errors[1][1]
    assert errors[2][1] == "parent_organisation 'District B' contradicts 'District A' on line 4"
    assert "longer than 200" in errors[3][1]


ACCESS = """name,phone,access
Asha,9876500001,Supervisor
Ravi,9876500002,ADMIN
Meena,9876500003,
Kumar,9876500004,boss
"""


def test_access_levels_are_stored_and_bad_ones_rejected(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows, errors = parse(write(tmp_path, ACCESS), LANGUAGES)
    assert [(e.line, e.message) for e in errors] == [
        (5, "access 'boss' is not one of learner, supervisor, admin")
    ]
    import_rows(sessions, rows)
    people = learners(sessions)
    assert {n: p.access for n, p in people.items()} == {
        "Asha": "supervisor",
        "Ravi": "admin",
        "Meena": "learner",
    }
    # A roster without the column leaves access alone; with it, an empty cell means learner.
    load(sessions, tmp_path, "name,phone\nRavi,9876500002\n")
    assert learners(sessions)["Ravi"].access == "admin"
    load(sessions, tmp_path, "name,phone,access\nRavi,9876500002,\n")
    assert learners(sessions)["Ravi"].access == "learner"


TIMEZONES = """name,phone,timezone
Asha,9876500001,Asia/Kolkata
Ravi,9876500002,asia/dubai
Meena,9876500003,
Kumar,9876500004,Mars/Olympus
Devi,9876500005,Asia
Lata,9876500006,../etc/passwd
"""


def test_time_zones_are_stored_and_unknown_ones_rejected(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows, errors = parse(write(tmp_path, TIMEZONES), LANGUAGES)
    assert [e.line for e in errors] == [5, 6, 7]
    assert errors[0].message == (
        "timezone 'Mars/Olympus' is not an IANA time zone name such as Asia/Kolkata"
    )
    import_rows(sessions, rows)
    people = learners(sessions)
    assert {n: p.timezone for n, p in people.items()} == {
        "Asha": "Asia/Kolkata",
        "Ravi": "Asia/Dubai",  # stored in its canonical spelling
        "Meena": None,
    }
    load(sessions, tmp_path, "name,phone\nAsha,9876500001\n")
    assert learners(sessions)["Asha"].timezone == "Asia/Kolkata"
    load(sessions, tmp_path, "name,phone,timezone\nAsha,9876500001,\n")
    assert learners(sessions)["Asha"].timezone is None


MANDATORY = """name,phone,mandatory
Asha,9876500001,rti-for-officials:2027-01-31; ethics-basics:2027-02-28
Ravi,9876500002, RTI-for-Officials : 2027-03-01 ;
Meena,9876500003,
"""


def test_mandatory_courses_enroll_with_due_dates_and_re_import_moves_them(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(sessions, tmp_path, "name,phone\nRavi,9876500002\n")
    ravi = learners(sessions)["Ravi"].id
    with sessions.begin() as session:  # Ravi is already half-way through the course
        session.add(
            EnrollmentRow(learner_id=ravi, course_id="rti-for-officials", lesson_id="l3", part=2)
        )
    started = enrollments(sessions)[(ravi, "rti-for-officials")]
    load(sessions, tmp_path, MANDATORY)
    asha = learners(sessions)["Asha"].id
    found = enrollments(sessions)
    assert {k: r.due_on for k, r in found.items()} == {
        (asha, "rti-for-officials"): date(2027, 1, 31),
        (asha, "ethics-basics"): date(2027, 2, 28),
        (ravi, "rti-for-officials"): date(2027, 3, 1),
    }
    new = found[(asha, "rti-for-officials")]
    assert (new.course_version, new.part, new.lesson_id, new.completed_at) == (1, 0, None, None)
    kept = found[(ravi, "rti-for-officials")]
    assert (kept.id, kept.lesson_id, kept.part) == (started.id, "l3", 2)  # progress kept
    assert kept.updated_at == started.updated_at  # a due date is not learning activity
    # Re-import: dates move, nothing is duplicated, an unlisted course keeps its date.
    load(
        sessions, tmp_path, MANDATORY.replace("2027-01-31; ethics-basics:2027-02-28", "2027-04-30")
    )
    again = enrollments(sessions)
    assert len(again) == 3 and again[(asha, "rti-for-officials")].id == new.id
    assert again[(asha, "rti-for-officials")].due_on == date(2027, 4, 30)
    assert again[(asha, "ethics-basics")].due_on == date(2027, 2, 28)
    load(sessions, tmp_path, MANDATORY)
    assert len(enrollments(sessions)) == 3


def test_bad_mandatory_entries_are_row_errors_with_their_line(tmp_path: Path) -> None:
    text = """name,phone,mandatory
Asha,9876500001,rti-for-officials
Ravi,9876500002,rti-for-officials:2027-02-30
Meena,9876500003,rti-for-officials:31-01-2027
Kumar,9876500004,rti for officials:2027-01-31
Devi,9876500005,rti:2027-01-31;rti:2027-02-01
Lata,9876500006,rti:2027-01-31;rti:2027-01-31
Gita,9876500007,ethics-basics:2027-01-31;bad
"""
    rows, errors = parse(write(tmp_path, text), LANGUAGES)
    assert [e.line for e in errors] == [2, 3, 4, 5, 6, 8]
    assert errors[0].message == "mandatory entry 'rti-for-officials' is not course-id:YYYY-MM-DD"
    bad_date = "is not a date (YYYY-MM-DD)"
    assert errors[1].message.endswith(f"'2027-02-30' {bad_date}")
    assert errors[2].message.endswith(f"'31-01-2027' {bad_date}")
    assert errors[3].message.endswith("'rti for officials' is not a course id")
    assert errors[4].message == "mandatory lists 'rti' with two due dates"
    assert errors[5].message == "mandatory entry 'bad' is not course-id:YYYY-MM-DD"
    assert [(r.name, r.mandatory) for r in rows] == [("Lata", (("rti", date(2027, 1, 31)),))]
