"""Roster import against the store: platform ids, emails and batches, rows naming two learners
or one twice, strict imports, supervisors across chunks, an import cut off and run again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learning.repository import SqlLearnerRepository
from learning.roster import check, find_learner, import_rows, parse
from learning.roster import write as write_rows
from tests.learning.store import migrated
from tests.learning.test_roster import LANGUAGES, enrollments, learners, load, write


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated, empty learner store."""
    made = migrated(db_url)
    yield made
    made.kw["bind"].dispose()


PLATFORM = """name,phone,platform_user_id,mandatory
Asha,9876500001,user-asha,rti-for-officials:2027-01-31:0138001
Ravi,9876500002,,rti-for-officials:2027-01-31
"""


def test_platform_user_ids_and_batches_are_stored_and_kept(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(sessions, tmp_path, PLATFORM)
    people = learners(sessions)
    asha, ravi = people["Asha"], people["Ravi"]
    assert (asha.platform_user_id, ravi.platform_user_id) == ("user-asha", None)
    found = enrollments(sessions)
    assert found[(asha.id, "rti-for-officials")].batch_id == "0138001"
    assert found[(ravi.id, "rti-for-officials")].batch_id is None
    # Without the column, or with an empty cell, or an entry without a batch: kept.
    load(sessions, tmp_path, "name,phone,mandatory\nAsha,9876500001,rti-for-officials:2027-01-31\n")
    load(sessions, tmp_path, "name,phone,platform_user_id\nAsha,9876500001,\n")
    assert learners(sessions)["Asha"].platform_user_id == "user-asha"
    assert enrollments(sessions)[(asha.id, "rti-for-officials")].batch_id == "0138001"
    # A new id or batch replaces the old; the enrollment's progress and updated_at stay.
    before = enrollments(sessions)[(asha.id, "rti-for-officials")]
    load(sessions, tmp_path, PLATFORM.replace("user-asha", "user-asha-2").replace("0138001", "B2"))
    assert learners(sessions)["Asha"].platform_user_id == "user-asha-2"
    after = enrollments(sessions)[(asha.id, "rti-for-officials")]
    assert (after.id, after.batch_id, after.updated_at) == (before.id, "B2", before.updated_at)


def test_a_platform_id_of_another_learner_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(sessions, tmp_path, PLATFORM)
    text = "name,phone,platform_user_id\nMeena,9876500003,user-asha\n"
    rows, _ = parse(write(tmp_path, text), LANGUAGES)
    report = import_rows(sessions, rows)
    assert (report.created, report.skipped) == (0, 1)
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "platform_user_id 'user-asha' belongs to Asha (919876500001)")
    ]


def test_rows_naming_two_stored_learners_or_one_twice_are_left_out(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(sessions, tmp_path, "name,phone,telegram\nAsha,9876500001,\nRavi,9876500002,55501234\n")
    load(sessions, tmp_path, "name,phone,telegram\nRavi,9876500002,@ravi_kumar\n")
    text = """name,phone,telegram,role
Asha Rao,9876500001,55501234,Clerk
Ravi Kumar,,@ravi_kumar,Clerk
R. Kumar,9876500002,,Officer
Meena,9876500003,,Clerk
"""
    rows, errors = parse(write(tmp_path, text), LANGUAGES)
    assert errors == []  # each identity once in the file
    report = import_rows(sessions, rows)
    assert (report.created, report.updated, report.skipped) == (1, 1, 2)
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "the row's phone and Telegram identities belong to different learners: "
            "Asha (919876500001), Ravi (919876500002)"),
        (4, "Ravi (919876500002) is also on line 3"),
    ]  # fmt: skip
    people = learners(sessions)
    assert set(people) == {"Asha", "Ravi Kumar", "Meena"} and people["Ravi Kumar"].role == "Clerk"


def test_strict_imports_nothing_while_anything_is_wrong(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    text = "name,phone,supervisor\nAsha,9876500001,9876599999\nRavi,9876500002,\n"
    rows, errors = parse(write(tmp_path, text), LANGUAGES)
    assert errors == []
    report = import_rows(sessions, rows, strict=True)
    assert (report.created, report.skipped) == (0, 2)
    assert "not in the roster or the learner store" in report.errors[0].message
    assert learners(sessions) == {}
    report = import_rows(sessions, rows)  # without strict: imported, supervisor reported
    assert report.created == 2 and len(report.errors) == 1


SUPERVISED = """name,phone,telegram,supervisor
Asha,9876500001,,@ravi_kumar
Ravi,9876500002,@ravi_kumar,9876500003
Meena,9876500003,,
Kumar,9876500004,,9876500009
"""


@pytest.mark.parametrize("chunk", [1, 2, 500])
def test_supervisors_resolve_across_chunks_and_from_the_store(
    sessions: sessionmaker[Session], tmp_path: Path, chunk: int
) -> None:
    load(sessions, tmp_path, "name,phone\nBoss,9876500009\n")
    rows, _ = parse(write(tmp_path, SUPERVISED), LANGUAGES)
    report = import_rows(sessions, rows, chunk=chunk)
    assert (report.created, report.updated, report.errors) == (4, 0, [])
    people = learners(sessions)
    bosses = {n: p.supervisor_id for n, p in people.items()}
    assert bosses == {
        "Boss": None,
        "Asha": people["Ravi"].id,  # a later row, by username
        "Ravi": people["Meena"].id,  # a later row, by phone
        "Meena": None,
        "Kumar": people["Boss"].id,  # already in the store
    }


def test_an_import_cut_off_midway_is_completed_by_running_it_again(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    text = """name,phone,supervisor,mandatory
Asha,9876500001,9876500002,rti-for-officials:2027-01-31
Ravi,9876500002,9876500003,
Meena,9876500003,,rti-for-officials:2027-01-31:B1
Kumar,9876500004,9876500001,ethics-basics:2027-02-28
"""
    rows, errors = parse(write(tmp_path, text), LANGUAGES)
    assert errors == []

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_rows(sessions, rows, chunk=2, progress=crash)
    assert set(learners(sessions)) == {"Asha", "Ravi"}  # the first chunk was committed
    report = import_rows(sessions, rows, chunk=2)
    assert (report.created, report.updated, report.errors) == (2, 2, [])
    people = learners(sessions)
    assert {n: p.supervisor_id for n, p in people.items()} == {
        "Asha": people["Ravi"].id,
        "Ravi": people["Meena"].id,
        "Meena": None,
        "Kumar": people["Asha"].id,
    }
    assert len(enrollments(sessions)) == 3


def test_a_link_made_between_check_and_write_does_not_stop_the_import(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows, _ = parse(write(tmp_path, "name,telegram\nAsha,55501234\nRavi,55501235\n"), LANGUAGES)
    checked = check(sessions, rows)
    SqlLearnerRepository(sessions).get_or_create("telegram", "55501234")  # a first message
    report = write_rows(sessions, checked)
    assert (report.created, report.errors) == (2, [])
    repo = SqlLearnerRepository(sessions)
    assert repo.count() == 3
    assert repo.get_by_channel("telegram", "55501235").name == "Ravi"  # type: ignore[union-attr]


EMAILS = """name,phone,email,access,organisation
Asha,9876500001,Asha.Verma@Revenue.Example.GOV.in,supervisor,Revenue
Ravi,9876500002,,,Revenue
"""


def test_emails_are_stored_lower_cased_kept_and_never_shared(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(sessions, tmp_path, EMAILS)
    people = learners(sessions)
    assert (people["Asha"].email, people["Ravi"].email) == (
        "asha.verma@revenue.example.gov.in", None,
    )  # fmt: skip
    # Without the column, or with an empty cell: kept; a new address replaces the old.
    load(sessions, tmp_path, "name,phone\nAsha,9876500001\n")
    load(sessions, tmp_path, "name,phone,email\nAsha,9876500001,\n")
    assert learners(sessions)["Asha"].email == "asha.verma@revenue.example.gov.in"
    load(sessions, tmp_path, "name,phone,email\nAsha,9876500001,asha@example.gov.in\n")
    assert learners(sessions)["Asha"].email == "asha@example.gov.in"
    # Another learner's address (in any case) is a row error; nothing of the row is written.
    rows, _ = parse(write(tmp_path, "name,phone,email\nMeena,9876500003,ASHA@example.gov.in\n"),
                    LANGUAGES)  # fmt: skip
    report = import_rows(sessions, rows)
    assert (report.created, report.skipped) == (0, 1)
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "email 'asha@example.gov.in' belongs to Asha (919876500001)")
    ]
    assert "Meena" not in learners(sessions)


def test_an_email_names_the_learner_to_commands(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(sessions, tmp_path, EMAILS)
    asha = learners(sessions)["Asha"].id
    assert find_learner(sessions, " asha.verma@REVENUE.example.gov.in ") == asha
    assert find_learner(sessions, "nobody@example.gov.in") is None
    assert find_learner(sessions, "9876500001") == asha  # the phone still works
