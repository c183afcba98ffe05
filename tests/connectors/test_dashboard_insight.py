"""The funnel, at-risk and knowledge-gaps pages over HTTP, on SQLite and PostgreSQL: the
figures of the signed-in actor's subtree only (another organisation is a 404 and leaks no
count), bad filters are 400, signed-out visitors go to sign in, Hindi pages, and each at-risk
campaign link, read as the campaign form reads it, selects exactly the learners listed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html import unescape
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learning.campaigns import actor_for
from learning.cohort import Cohort, cohort_query
from tests.connectors.test_dashboard import Site, build
from tests.learning.conftest import fresh_database, postgres_url  # noqa: F401  (fixture)
from tests.learning.insight_data import library, seed_gaps, seed_insight
from tests.learning.store import T0, migrated

RISK = "/dashboard/at-risk"
PAGES = ("/dashboard/courses", RISK, "/dashboard/gaps")


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    sessions = migrated(fresh_database(request.param, request, tmp_path))
    seed_insight(sessions)
    seed_gaps(sessions)
    return sessions


@pytest.fixture
def site(sessions: sessionmaker[Session]) -> Iterator[Site]:
    built = build(sessions, library=library())
    with built.client:
        yield built


def cells(html: str, row: str) -> list[list[str]]:
    """The text of each cell of the table rows carrying the attribute `row`."""
    found = re.findall(rf"<tr {row}=[^>]*>(.*?)</tr>", html, re.S)
    strip = lambda cell: unescape(re.sub(r"<[^>]+>", "", cell)).strip()  # noqa: E731
    return [[strip(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in found]


def test_the_funnel_page_shows_each_course_and_the_chosen_courses_weeks(site: Site) -> None:
    site.sign_in("sup_a")
    page = site.client.get("/dashboard/courses")
    assert page.status_code == 200
    assert cells(page.text, "data-course") == [
        ["Course rti", "4", "4 (100%)", "2 (50%)", "1 (25%)"],
        ["Course ethics", "2", "1 (50%)", "1 (50%)", "0 (0%)"],
    ]
    # Calendar weeks from Monday 14 September (tests/learning/dashboard_data.py EXPECTED):
    # chatty's lesson on Saturday 24 October (bar 6), stall's on Tuesday 3 November (bar 8),
    # a's on 13 and 30 November (bars 9, 12), a1's quiz on 23 November (bar 11), busy's lessons
    # on 1 December (bar 12).
    weeks = [row[1] for row in cells(page.text, "data-week")]
    assert weeks == ["0", "0", "0", "0", "0", "1", "0", "1", "1", "0", "1", "2"]
    assert "Learners active each week in any course" in page.text
    rti = site.client.get("/dashboard/courses", params={"course": "rti"})
    assert [row[0] for row in cells(rti.text, "data-course")] == ["Course rti"]
    weeks = [row[1] for row in cells(rti.text, "data-week")]  # the same but chatty's (ethics)
    assert weeks == ["0", "0", "0", "0", "0", "0", "0", "1", "1", "0", "1", "2"]
    assert "Learners active each week in Course rti" in rti.text
    assert rti.text.count('<rect class="bar"') == 12 and "<script" not in rti.text
    assert 'aria-current="page">Courses' in rti.text


def test_the_at_risk_page_lists_who_and_why(site: Site) -> None:
    site.sign_in("sup_a")
    page = site.client.get("/dashboard/at-risk")
    assert page.status_code == 200
    assert cells(page.text, "data-learner") == [
        ["Learner idle", "District A", "Clerk", "Course ethics", "25 Aug 2026", "30 Nov 2026",
         "Overdue"],
        ["Learner a1", "Block A1", "Officer", "Course rti", "14 Oct 2026", "13 Dec 2026",
         "Due soon"],
        ["Learner stall", "District A", "Clerk", "Course rti", "3 Nov 2026", "–",
         "No progress for 14 days"],
    ]  # fmt: skip
    assert 'data-figure="at_risk_learners"><div class="n">3<' in page.text
    assert "1 inactive for 14 days in Course rti" in page.text
    assert "2 with a course due by 18 Dec 2026 or overdue" in page.text


def links(html: str) -> dict[str, list[dict[str, str]]]:
    """The campaign links of an at-risk page, by kind, as query parameters."""
    found: dict[str, list[dict[str, str]]] = {"inactive": [], "due": []}
    for href, kind in re.findall(r'<a href="([^"]+)" data-cohort="(\w+)"', html):
        url = urlsplit(unescape(href))
        assert url.path == "/dashboard/campaigns/new"
        found[kind].append(dict(parse_qsl(url.query)))
    return found


def as_campaign_form_reads_it(params: dict[str, str]) -> Cohort:
    """The cohort a link describes: its parameters are the CLI's cohort filters."""
    names = ("course", "status", "due_before", "inactive_days", "role", "language", "organisation")
    assert set(params) <= set(names), params
    values: dict[str, object] = dict(params)
    if "due_before" in params:
        values["due_before"] = date.fromisoformat(params["due_before"])
    if "inactive_days" in params:
        values["inactive_days"] = int(params["inactive_days"])
    return Cohort(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("who", "params"),
    [
        ("sup_a", {}),
        ("sup_b", {}),
        ("root", {}),
        ("root", {"inactive_days": "25", "due_days": "7", "language": "en"}),
        ("root", {"course": "rti", "role": "Inspector"}),
        ("sup_a", {"organisation": "District A", "inactive_days": "1", "due_days": "30"}),
    ],
)
def test_each_campaign_link_selects_exactly_the_learners_listed_for_it(
    site: Site, sessions: sessionmaker[Session], who: str, params: dict[str, str]
) -> None:
    site.sign_in(who)
    page = site.client.get("/dashboard/at-risk", params=params).text
    rows = re.findall(r'<tr data-learner="([^"]+)" data-course="([^"]+)">(.*?)</tr>', page, re.S)
    inactive = {(course, lid) for lid, course, why in rows if "No progress" in why}
    due = {lid for lid, _, why in rows if "Overdue" in why or "Due soon" in why}
    found = links(page)
    assert len(found["inactive"]) == len({course for course, _ in inactive})
    assert len(found["due"]) == (1 if due else 0)
    reach = actor_for(sessions, who, "campaign form").reach
    with sessions() as session:

        def selected(link: dict[str, str]) -> set[str]:
            query = cohort_query(as_campaign_form_reads_it(link), reach, T0)
            return {row.learner_id for row in session.execute(query)}

        for link in found["inactive"]:
            assert link["status"] == "in_progress"
            assert selected(link) == {lid for course, lid in inactive if course == link["course"]}
        for link in found["due"]:
            assert selected(link) == due


def test_the_gaps_page_shows_only_what_the_subtree_asked(site: Site) -> None:
    site.sign_in("sup_a")
    page = site.client.get("/dashboard/gaps")
    assert page.status_code == 200
    assert cells(page.text, "data-gap") == [
        ["what is the PENSION rule", "3", "2 Dec 2026", "English"],
        ["छुट्टी के नियम क्या हैं?", "1", "30 Nov 2026", "हिन्दी"],
    ]
    assert "Tamil Nadu" not in page.text and "iGOT" not in page.text
    site.sign_in("sup_b")
    assert [row[:2] for row in cells(site.client.get("/dashboard/gaps").text, "data-gap")] == [
        ["RTI fees in Tamil Nadu?", "5"],
        ["what is the PENSION rule", "1"],
    ]


def test_a_learners_unanswered_question_reaches_only_their_own_supervisors(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    from actions.question import ask
    from knowledge.documents import Answer
    from learning.dashboard_insight_gaps import GapQuestions
    from learning.repository import SqlLearnerRepository

    abstains = SimpleNamespace(
        ask=lambda *args, **kwargs: Answer("I don't know", "en", False, gap=True)
    )
    services = SimpleNamespace(
        journey=SimpleNamespace(records=SimpleNamespace(active_course=lambda _: "rti")),
        knowledge=lambda: abstains,
        gaps=GapQuestions(sessions, lambda: T0),
    )
    learner = SqlLearnerRepository(sessions).get("b2")
    assert learner is not None and learner.organisation == "District B"
    for _ in range(7):
        ask(services, learner, "How do I claim LTC?", log_gap=True)  # type: ignore[arg-type]
    ask(services, learner, "Off-topic chat", log_gap=False)  # type: ignore[arg-type]
    site.sign_in("sup_b")
    assert cells(site.client.get("/dashboard/gaps").text, "data-gap")[0] == [
        "How do I claim LTC?", "7", "3 Dec 2026", "English"
    ]  # fmt: skip
    assert "Off-topic" not in site.client.get("/dashboard/gaps").text
    site.sign_in("sup_a")
    assert "LTC" not in site.client.get("/dashboard/gaps").text


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    "params",
    [{"organisation": "District A"}, {"organisation": "State"}, {"organisation": "Nowhere"},
     {"organisation": "District A", "course": "rti"}],
)  # fmt: skip
def test_another_organisation_is_a_404_on_every_page(
    site: Site, path: str, params: dict[str, str]
) -> None:
    site.sign_in("sup_b")
    refused = site.client.get(path, params=params)
    assert refused.status_code == 404 and "outside your organisation" in refused.text
    assert "data-figure" not in refused.text and "Learner" not in refused.text


@pytest.mark.parametrize(
    ("path", "params"),
    [("/dashboard/courses", {"course": "ethics"}), ("/dashboard/courses", {"role": "Clerk"}),
     ("/dashboard/at-risk", {"course": "ethics"}), ("/dashboard/at-risk", {"language": "hi"}),
     ("/dashboard/gaps", {"language": "hi"}), ("/dashboard/gaps", {"course": "ethics"})],
)  # fmt: skip
def test_filtering_by_another_organisations_values_counts_nothing(
    site: Site, path: str, params: dict[str, str]
) -> None:
    site.sign_in("sup_b")
    page = site.client.get(path, params=params)
    assert page.status_code == 200
    assert not cells(page.text, "data-course") and not cells(page.text, "data-learner")
    assert not cells(page.text, "data-gap") and "idle" not in page.text
    assert set(re.findall(r'data-figure="\w+"><div class="n">([^<]+)<', page.text)) <= {"0"}


@pytest.mark.parametrize(
    ("path", "params"),
    [(RISK, {"inactive_days": "abc"}), (RISK, {"inactive_days": "0"}),
     (RISK, {"inactive_days": "-3"}), (RISK, {"due_days": "99999"}),
     (RISK, {"due_days": "١٢"}), ("/dashboard/courses", {"role": "x" * 201}),
     ("/dashboard/gaps", {"language": "hi\x00"}), ("/dashboard/courses", {"course": "c" * 65})],
)  # fmt: skip
def test_a_bad_filter_value_is_a_400(site: Site, path: str, params: dict[str, str]) -> None:
    site.sign_in("sup_a")
    refused = site.client.get(path, params=params)
    assert refused.status_code == 400 and "not valid" in refused.text


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(site: Site, path: str) -> None:
    response = site.client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/signin"


@pytest.mark.parametrize(
    ("path", "words"),
    [("/dashboard/courses", ["कोर्स फ़नल", "नामांकित", "आधा पूरा"]),
     ("/dashboard/at-risk", ["जोखिम में शिक्षार्थी", "नियत तिथि निकल गई", "अभियान का पूर्वावलोकन"]),
     ("/dashboard/gaps", ["ज्ञान में कमियाँ", "छुट्टी के नियम"])],
)  # fmt: skip
def test_every_page_speaks_hindi(site: Site, path: str, words: list[str]) -> None:
    site.sign_in("sup_a")
    page = site.client.get(path, params={"lang": "hi"})
    assert page.status_code == 200 and '<html lang="hi">' in page.text
    for word in words:
        assert word in page.text, word
    assert 'name="lang" value="hi"' in page.text  # the filter form keeps the language
    if path == "/dashboard/at-risk":
        assert all(
            link.endswith("lang=hi")
            for link in re.findall(r'href="([^"]*campaigns/new[^"]*)"', page.text)
        )


def test_numbers_are_grouped_the_indian_way(site: Site, sessions: sessionmaker[Session]) -> None:
    from learning.dashboard_insight_gaps import GapQuestionRow

    with sessions.begin() as session:
        session.query(GapQuestionRow).filter_by(organisation="Block A1").update({"count": 123456})
    site.sign_in("sup_a")
    assert "1,23,456" in site.client.get("/dashboard/gaps").text
