"""The dashboard's roster pieces on SQLite and PostgreSQL: the progress CSV equals the CLI's
report for the learners in scope, in a few queries at any size; a supervisor's upload is held
to their subtree without showing them anyone outside it; uploads wait per session, once."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from learning.campaigns import Actor
from learning.dashboard_export import progress_export
from learning.dashboard_queries import Filters
from learning.dashboard_roster import Preview, apply, column_of, preview
from learning.dashboard_uploads import Uploads
from learning.models import CertificateRow, LearnerRow, QuizAttemptRow
from learning.organisations import Reach
from learning.records import RecordStore
from learning.report import progress_rows
from tests.learning.dashboard_data import DAY
from tests.learning.insight_data import library, seed_insight
from tests.learning.store import T0, add_learner, migrated
from tests.learning.test_dashboard_queries import counted

ADMIN = Actor("dashboard:root", Reach(everyone=True), "root")
SUP_A = Actor("dashboard:sup_a", Reach(root="District A"), "sup_a")
#: New units, each named before its parent is placed: Cell X* below District A, Cell Y* not.
PLACED = """name,phone,organisation,parent_organisation
Deep,9876511111,Cell X2,Cell X1
Mid,9876511112,Cell X1,District A
Lost,9876511113,Cell Y2,Cell Y1
Lost Too,9876511114,Cell Y1,District B
"""


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    made = migrated(db_url)
    seed_insight(made)
    with made.begin() as session:
        for number, (score, passed) in enumerate(((1, False), (3, True))):
            session.add(
                QuizAttemptRow(learner_id="a", course_id="rti", quiz_id="m1", number=number + 1,
                               layout="[]", score=score, total=3, passed=passed, language="en",
                               started_at=T0 - 5 * DAY, finished_at=T0 - 5 * DAY)
            )  # fmt: skip
        session.add(CertificateRow(code="ABC123", learner_id="a", course_id="rti",
                                   learner_name="Learner a", course_title="RTI"))  # fmt: skip
        session.execute(update(LearnerRow).filter_by(id="b").values(phone="919876500009"))
    yield made
    made.kw["bind"].dispose()


def exported(sessions: sessionmaker[Session], actor: Actor, **filters: str) -> list[dict[str, str]]:
    export = progress_export(sessions, library(), actor, Filters(**filters), T0)
    text = b"".join(export.chunks()).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_progress_csv_has_the_cli_reports_rows(sessions: sessionmaker[Session]) -> None:
    out = io.StringIO()
    from learning.report import write_csv

    write_csv(progress_rows(sessions, RecordStore(sessions), library(), ""), out)
    cli = list(csv.DictReader(io.StringIO(out.getvalue())))

    def key(row: dict[str, str]) -> tuple[str, str]:
        return row["learner_id"], row["course_id"]

    mine = exported(sessions, ADMIN)
    assert sorted(mine, key=key) == sorted(cli, key=key)
    a = next(r for r in mine if key(r) == ("a", "rti"))
    assert (a["quizzes_passed"], a["best_scores"], a["certificate_code"]) == (
        "1",
        "m1=3/3",
        "ABC123",
    )
    assert (a["lessons_done"], a["lessons_total"], a["quizzes_total"]) == ("2", "4", "1")
    assert a["progress_percent"] == "60"


def test_the_progress_csv_is_scoped_and_filtered(sessions: sessionmaker[Session]) -> None:
    ids = {r["learner_id"] for r in exported(sessions, SUP_A)}
    assert ids == {"sup_a", "a", "a1", "idle", "stall", "chatty", "busy"}
    assert {r["learner_id"] for r in exported(sessions, SUP_A, organisation="Block A1")} == {
        "a1", "busy"}  # fmt: skip
    rti = exported(sessions, SUP_A, course="rti")
    assert {r["course_id"] for r in rti} == {"rti"} and "chatty" not in {
        r["learner_id"] for r in rti
    }


def test_the_progress_csv_costs_the_same_queries_for_more_learners(
    sessions: sessionmaker[Session],
) -> None:
    with counted(sessions) as few:
        exported(sessions, ADMIN)
    for n in range(60):
        add_learner(sessions, f"more{n}", org="Block A1")
    with counted(sessions) as many:
        rows = exported(sessions, ADMIN)
    assert len(rows) > 60 and len(many) == len(few) <= 8, many


def roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def check(sessions: sessionmaker[Session], actor: Actor, path: Path) -> Preview:
    return preview(sessions, actor.reach, path, {"en", "hi", "ta"})


def test_units_the_file_places_inside_the_subtree_are_inside_in_any_order(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = roster(tmp_path, PLACED)
    checked = check(sessions, SUP_A, path)
    assert [(p.line, p.skipped) for p in checked.problems] == [(4, True), (5, True)]
    assert checked.summary.new == 2 and checked.summary.organisations == 2
    apply(sessions, checked)
    with sessions() as session:
        placed = {r.name: r.organisation for r in session.query(LearnerRow).filter(
            LearnerRow.name.in_(["Deep", "Mid", "Lost"]))}  # fmt: skip
    assert placed == {"Deep": "Cell X2", "Mid": "Cell X1"}


def test_a_supervisor_sees_no_one_outside_their_subtree_in_the_report(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        session.execute(update(LearnerRow).filter_by(id="b").values(telegram_username="bee_b"))
        session.execute(update(LearnerRow).filter_by(id="a").values(phone="919876500001"))
    path = roster(tmp_path, "name,phone,telegram,organisation,supervisor\n"
                  "Two People,9876500001,@bee_b,District A,\n"
                  "Has Boss,9876511111,,District A,9876500009\n")  # fmt: skip
    checked = check(sessions, SUP_A, path)
    shown = " ".join(p.message for p in checked.problems)
    assert "Learner b" not in shown and "919876500009" not in shown.replace("'9876500009'", "")
    assert [(p.line, p.column, p.skipped) for p in checked.problems] == [
        (2, "phone/telegram", True), (3, "supervisor", False)]  # fmt: skip
    assert "is not in the roster or the learner store" in checked.problems[1].message
    apply(sessions, checked)
    with sessions() as session:
        boss = session.query(LearnerRow.supervisor_id).filter_by(name="Has Boss").scalar()
    assert boss is None  # named outside the subtree: not set


def test_the_fingerprint_says_whether_a_second_check_agrees(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = roster(tmp_path, "name,phone,organisation\nAsha,9876511111,District A\n")
    first, again = check(sessions, SUP_A, path), check(sessions, SUP_A, path)
    assert first.fingerprint() == again.fingerprint()
    apply(sessions, first)
    after = check(sessions, SUP_A, path)
    assert after.fingerprint() != first.fingerprint() and after.summary.unchanged == 1


@pytest.mark.parametrize(
    ("message", "column"),
    [("phone '1' is not a valid number", "phone"), ("name is empty", "name"),
     ("mandatory entry 'x' is not course-id:YYYY-MM-DD", "mandatory"),
     ("919876500001 is also on line 2", ""), ("needs a phone or a Telegram id/username", ""),
     ("phone/telegram: this phone", "phone/telegram"), ("3 cells but the header has 2", "")],
)  # fmt: skip
def test_a_problems_column_is_the_column_its_message_names(message: str, column: str) -> None:
    assert column_of(message) == column


def test_uploads_wait_for_their_session_once_and_not_for_long(tmp_path: Path) -> None:
    now = [1_000_000.0]
    uploads = Uploads(tmp_path / "up", clock=lambda: now[0])
    token, path = uploads.put("session-1", b"name\nAsha\n")
    os.utime(path, (now[0], now[0]))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "up").stat().st_mode) == 0o700
    assert "session-1" not in path.name and token not in path.name
    with uploads.taken("session-2", token) as foreign:
        assert foreign is None
    with uploads.taken("session-1", token) as mine:
        assert mine is not None and mine.read_bytes() == b"name\nAsha\n"
        with uploads.taken("session-1", token) as twice:
            assert twice is None
    with uploads.taken("session-1", token) as gone:
        assert gone is None
    old, _ = uploads.put("session-1", b"old")
    newer, _ = uploads.put("session-1", b"new")
    late, late_path = uploads.put("session-3", b"late")
    os.utime(late_path, (now[0] - 3600, now[0] - 3600))
    with uploads.taken("session-1", old) as replaced, uploads.taken("session-3", late) as expired:
        assert replaced is None and expired is None
    with uploads.taken("session-1", newer) as kept:
        assert kept is not None
    assert list((tmp_path / "up").iterdir()) == []
