"""The dashboard's roster page over HTTP, on SQLite and PostgreSQL: an upload is checked and
previewed without writing anything; Apply writes exactly the previewed file, once, for the
session that uploaded it; CSRF on both forms; a supervisor's rows outside their subtree are
refused; the progress CSV holds only the learners they may see, spreadsheet-safe."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from connectors.dashboard import roster_pages
from learning.campaign_models import OrganisationRow
from learning.models import LearnerRow
from tests.connectors.test_dashboard import Site, build, csrf_of
from tests.learning.conftest import fresh_database, postgres_url  # noqa: F401  (fixture)
from tests.learning.dashboard_data import seed_team
from tests.learning.store import migrated

PHONES = {"root": "919876500000", "a": "919876500001", "b": "919876500009"}
#: A supervisor of District A uploads rows inside and outside their subtree (see dashboard_data).
MIXED = """name,phone,organisation,parent_organisation,access
Asha New,9876511111,Block A1,,
Outsider,9876511112,District B,,
Boss,9876511113,Block A1,,admin
Moved B,9876500009,Block A1,,
Unit Head,9876511114,Block A2,District A,supervisor
Rogue,9876511115,Rogue Unit,State,
Grab,9876511116,District A,District B,
A Renamed,9876500001,District A,,
Root Demoted,9876500000,District A,,
Mover,9876511118,Block A1,District B,
"""
GOOD = """name,phone,organisation,role
Asha New,9876511111,Block A1,Clerk
Ravi New,9876511117,District A,
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    sessions = migrated(fresh_database(request.param, request, tmp_path))
    seed_team(sessions)
    with sessions.begin() as session:
        for learner, phone in PHONES.items():
            session.execute(update(LearnerRow).filter_by(id=learner).values(phone=phone))
    return sessions


@pytest.fixture
def site(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[Site]:
    built = build(sessions, uploads=tmp_path / "uploads")
    with built.client:
        yield built


def upload(site: Site, text: str | bytes, csrf: str | None = "page") -> tuple[int, str]:
    """POST a roster file as the browser's form does: (status, page)."""
    token = csrf_of(site.client.get("/dashboard/roster").text) if csrf == "page" else csrf
    data = {"csrf": token} if token is not None else {}
    body = text.encode() if isinstance(text, str) else text
    response = site.client.post("/dashboard/roster", data=data,
                                files={"roster": ("roster.csv", body, "text/csv")})  # fmt: skip
    return response.status_code, response.text


def apply_form(html: str) -> dict[str, str]:
    form = html.split('id="roster-apply"')[1].split("</form>")[0]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


def problem_lines(html: str) -> dict[int, str]:
    return {int(n): s for n, s in re.findall(r'data-line="(\d+)" data-skipped="(\w+)"', html)}


def learner_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(LearnerRow)) or 0


def names(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return {n for n in session.scalars(select(LearnerRow.name)) if n}


def test_the_page_has_an_upload_form_and_a_progress_link(site: Site) -> None:
    site.sign_in("sup_a")
    page = site.client.get("/dashboard/roster")
    assert page.status_code == 200
    form = page.text.split('id="roster-upload"')[0].rsplit("<form", 1)[1]
    assert 'method="post"' in form and 'enctype="multipart/form-data"' in form
    assert 'type="file" name="roster"' in page.text and 'name="csrf"' in page.text
    assert 'href="/dashboard/roster/progress.csv"' in page.text
    assert "Download progress (CSV)" in page.text and "District A and the units below" in page.text
    assert 'aria-current="page">Roster' in page.text
    hindi = site.client.get("/dashboard/roster", params={"lang": "hi"})
    assert "रोस्टर आयात करें" in hindi.text and "प्रगति डाउनलोड करें (CSV)" in hindi.text


def test_bad_rows_are_reported_by_line_and_nothing_is_written(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    site.sign_in("root")
    before = learner_count(sessions)
    text = (
        "name,phone,language\nGood One,9876511111,en\n,9876511112,en\n"
        "Bad Phone,12345,en\nBad Language,9876511113,xx\nDuplicate,9876511111,en\n"
    )
    status, page = upload(site, text)
    assert status == 200
    assert problem_lines(page) == {3: "yes", 4: "yes", 5: "yes", 6: "yes"}
    assert "<td>phone</td><td>phone &#39;12345&#39; is not a valid number" in page
    assert "<td>language</td>" in page and "<td>name</td><td>name is empty</td>" in page
    assert 'data-figure="new"><div class="n">1<' in page
    assert 'data-figure="skipped"><div class="n">4<' in page
    assert "Apply anyway: import 1 rows, leave out 4" in page
    assert learner_count(sessions) == before  # checking wrote nothing
    unreadable = upload(site, b"PK\x03\x04 a workbook")
    assert "cannot be read as a whole" in unreadable[1] and 'id="roster-apply"' not in unreadable[1]
    assert "Excel workbook" in unreadable[1]
    assert learner_count(sessions) == before


def test_apply_writes_exactly_the_previewed_file_once(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    site.sign_in("sup_a")
    status, page = upload(site, GOOD)
    assert status == 200 and 'id="roster-no-problems"' in page
    assert "Apply: import 2 rows" in page
    form = apply_form(page)
    # Another file sent along with the Apply button is not what gets written.
    other = {**form, "roster": "name,phone,organisation\nIntruder,9876522222,District A\n"}
    done = site.client.post("/dashboard/roster/apply", data=other)
    assert done.status_code == 200 and "Roster imported" in done.text, done.text
    assert "Imported: 2 new learners, 0 updated, 0 unchanged; 0 rows left out." in done.text
    assert {"Asha New", "Ravi New"} <= names(sessions) and "Intruder" not in names(sessions)
    with sessions() as session:
        asha = session.scalars(select(LearnerRow).filter_by(name="Asha New")).one()
        assert (asha.phone, asha.organisation, asha.role) == ("919876511111", "Block A1", "Clerk")
    count = learner_count(sessions)
    again = site.client.post("/dashboard/roster/apply", data=form)  # a second click
    assert again.status_code == 410 and "expired or was already applied" in again.text
    assert learner_count(sessions) == count


def test_apply_with_a_foreign_stale_or_made_up_token_is_refused(
    site: Site, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    site.sign_in("sup_a")
    form = apply_form(upload(site, GOOD)[1])
    before = learner_count(sessions)
    other = build(sessions, uploads=tmp_path / "uploads")  # another browser, its own session
    other.sign_in("sup_a")
    theirs = {**form, "csrf": csrf_of(other.client.get("/dashboard/roster").text)}
    assert other.client.post("/dashboard/roster/apply", data=theirs).status_code == 410
    made_up = {**form, "token": "x" * 43}
    assert site.client.post("/dashboard/roster/apply", data=made_up).status_code == 410
    old = (tmp_path / "uploads").iterdir().__next__()
    os.utime(old, (1, 1))  # older than its half hour
    assert site.client.post("/dashboard/roster/apply", data=form).status_code == 410
    assert learner_count(sessions) == before
    # A newer upload replaces the session's earlier one.
    first = apply_form(upload(site, GOOD)[1])
    second = apply_form(upload(site, GOOD.replace("Ravi", "Meera"))[1])
    assert site.client.post("/dashboard/roster/apply", data=first).status_code == 410
    assert site.client.post("/dashboard/roster/apply", data=second).status_code == 200
    assert "Meera New" in names(sessions) and "Ravi New" not in names(sessions)


@pytest.mark.parametrize("csrf", [None, "", "0" * 64, "forged"])
def test_both_forms_without_the_csrf_token_are_403_and_write_nothing(
    site: Site, sessions: sessionmaker[Session], tmp_path: Path, csrf: str | None
) -> None:
    site.sign_in("sup_a")
    status, page = upload(site, GOOD, csrf=csrf)
    assert status == 403 and "did not come from this site" in page
    assert not list((tmp_path / "uploads").glob("*"))  # not even kept
    form = apply_form(upload(site, GOOD)[1])
    forged = {k: v for k, v in form.items() if k != "csrf"} | (
        {} if csrf is None else {"csrf": csrf}
    )
    before = learner_count(sessions)
    assert site.client.post("/dashboard/roster/apply", data=forged).status_code == 403
    assert learner_count(sessions) == before
    assert site.client.post("/dashboard/roster/apply", data=form).status_code == 200  # still there


def test_without_a_session_every_roster_route_sends_you_to_sign_in(site: Site) -> None:
    for method, path in (("GET", "/dashboard/roster"), ("POST", "/dashboard/roster"),
                         ("POST", "/dashboard/roster/apply"),
                         ("GET", "/dashboard/roster/progress.csv")):  # fmt: skip
        response = site.client.request(method, path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/dashboard/signin")


def test_a_supervisors_rows_outside_their_subtree_are_refused(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    site.sign_in("sup_a")
    status, page = upload(site, MIXED)
    assert status == 200
    lines = problem_lines(page)
    assert lines == {3: "yes", 4: "yes", 5: "yes", 7: "yes", 8: "yes", 10: "yes", 11: "yes"}
    assert "organisation &#39;District B&#39; is outside your organisation" in page
    assert "access &#39;admin&#39; may only be given by an admin" in page
    assert "belongs to a learner outside your organisation" in page
    assert "organisation &#39;Rogue Unit&#39; is outside your organisation" in page
    assert "parent_organisation &#39;District B&#39; is outside your organisation" in page
    assert "only an admin may move your own organisation" in page
    assert "Learner b" not in page and "Learner root" not in page  # no one else's names
    assert 'data-figure="new"><div class="n">2<' in page
    assert 'data-figure="updated"><div class="n">1<' in page
    assert 'data-figure="organisations"><div class="n">1<' in page
    done = site.client.post("/dashboard/roster/apply", data=apply_form(page))
    assert done.status_code == 200 and "Roster imported" in done.text
    with sessions() as session:
        learners = {r.name: r for r in session.scalars(select(LearnerRow))}
        units = {o.name: o for o in session.scalars(select(OrganisationRow))}
    assert {"Asha New", "Unit Head", "A Renamed"} <= set(learners)
    refused = {"Outsider", "Boss", "Rogue", "Grab", "Moved B", "Root Demoted", "Mover"}
    assert not refused & set(learners)
    assert learners["Learner b"].organisation == "District B"
    assert learners["Learner root"].access == "admin"
    assert learners["Unit Head"].access == "supervisor"
    assert "Rogue Unit" not in units and units["Block A2"].parent_id == units["District A"].id
    assert units["District A"].parent_id == units["State"].id
    assert units["Block A1"].parent_id == units["District A"].id


def test_an_admin_may_import_every_row(site: Site, sessions: sessionmaker[Session]) -> None:
    site.sign_in("root")
    status, page = upload(
        site, MIXED.replace("Root Demoted,9876500000,District A,,", "Root,9876500000,State,,admin")
    )
    assert status == 200 and 'id="roster-no-problems"' in page, page
    assert 'data-figure="new"><div class="n">7<' in page
    done = site.client.post("/dashboard/roster/apply", data=apply_form(page))
    assert done.status_code == 200
    with sessions() as session:
        boss = session.scalars(select(LearnerRow).filter_by(name="Boss")).one()
        moved = session.scalars(select(LearnerRow).filter_by(name="Moved B")).one()
    assert boss.access == "admin" and moved.id == "b" and moved.organisation == "Block A1"


def test_an_upload_over_the_cap_is_refused_with_a_clear_message(
    site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(roster_pages, "MAX_BYTES", 2 * 1024 * 1024)
    monkeypatch.setattr(roster_pages, "FRAMING", 1024)
    site.sign_in("sup_a")
    status, page = upload(site, GOOD + "x" * (2 * 1024 * 1024 + 4096))
    assert status == 413 and "larger than 2 MB" in page
    csrf = csrf_of(site.client.get("/dashboard/roster").text)
    body = (f'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            '--b\r\nContent-Disposition: form-data; name="roster"; filename="r.csv"\r\n\r\n'
            ).encode() + b"x" * (3 * 1024 * 1024) + b"\r\n--b--\r\n"  # fmt: skip
    chunked = site.client.post(  # no Content-Length: the cap counts what is read
        "/dashboard/roster",
        content=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert chunked.status_code == 413
    assert not list((tmp_path / "uploads").glob("*"))
    assert upload(site, b"")[0] == 400


def read_csv(site: Site, **params: str) -> list[dict[str, str]]:
    response = site.client.get("/dashboard/roster/progress.csv", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_progress_csv_holds_only_the_visible_learners_safely(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.execute(update(LearnerRow).filter_by(id="a").values(name='=HYPERLINK("x","y")'))
        session.execute(update(LearnerRow).filter_by(id="a1").values(name="आशा राव"))
    site.sign_in("sup_a")
    rows = read_csv(site)
    assert {r["learner_id"] for r in rows} == {"sup_a", "a", "a1", "idle"}
    by_id = {r["learner_id"]: r for r in rows}
    assert by_id["a"]["name"] == '\'=HYPERLINK("x","y")' and by_id["a1"]["name"] == "आशा राव"
    assert by_id["a"]["course_id"] == "rti" and by_id["a"]["lessons_done"] == "2"
    assert by_id["a"]["karma_points"] == "70" and by_id["a"]["completed_at"]
    assert by_id["sup_a"]["course_id"] == "" and by_id["sup_a"]["karma_points"] == "0"
    assert {r["learner_id"] for r in read_csv(site, organisation="Block A1")} == {"a1"}
    assert {r["learner_id"] for r in read_csv(site, language="hi")} == {"a1"}
    assert {r["learner_id"] for r in read_csv(site, role="Clerk")} == {"a", "idle"}
    assert {(r["learner_id"], r["course_id"]) for r in read_csv(site, course="rti")} == {
        ("a", "rti"), ("a1", "rti")}  # fmt: skip
    outside = site.client.get(
        "/dashboard/roster/progress.csv", params={"organisation": "District B"}
    )
    assert outside.status_code == 404 and "Learner b" not in outside.text
    assert (
        site.client.get("/dashboard/roster/progress.csv", params={"role": "x" * 201}).status_code
        == 400
    )


def test_an_admins_progress_csv_holds_everyone(site: Site) -> None:
    site.sign_in("root")
    rows = read_csv(site)
    assert {r["learner_id"] for r in rows} == {"root", "sup_a", "sup_b", "a", "a1", "idle", "b"}
    assert [r["course_id"] for r in rows if r["learner_id"] == "b"] == ["b-course", "rti"]


def test_apply_shows_the_check_again_when_it_no_longer_agrees(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    site.sign_in("sup_a")
    form = apply_form(upload(site, GOOD)[1])
    with sessions.begin() as session:  # meanwhile, Asha's phone reaches the store
        session.execute(update(LearnerRow).filter_by(id="a").values(phone="919876511111"))
    changed = site.client.post("/dashboard/roster/apply", data=form)
    assert changed.status_code == 409 and "The check changed since you saw it" in changed.text
    assert "Asha New" not in names(sessions)
    assert 'data-figure="updated"><div class="n">1<' in changed.text
    done = site.client.post("/dashboard/roster/apply", data=apply_form(changed.text))
    assert done.status_code == 200 and "Asha New" in names(sessions)


def test_a_file_with_problems_is_applied_only_by_the_button_that_says_so(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    site.sign_in("sup_a")
    form = apply_form(upload(site, GOOD + "Bad Phone,12345,District A,\n")[1])
    assert form["partial"] == "1"
    unconfirmed = {k: v for k, v in form.items() if k != "partial"}
    refused = site.client.post("/dashboard/roster/apply", data=unconfirmed)
    assert refused.status_code == 409 and "Asha New" not in names(sessions)
    done = site.client.post("/dashboard/roster/apply", data=apply_form(refused.text))
    assert done.status_code == 200 and {"Asha New", "Ravi New"} <= names(sessions)
    assert "Bad Phone" not in names(sessions)
