"""The supervisor dashboard over HTTP, on SQLite and PostgreSQL: sign-in by one-time link (a GET
that burns nothing, a POST with CSRF), signed sessions re-checked on every request, CSRF on
every form, figures only from the actor's own subtree, Hindi pages, strict headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from connectors.dashboard import DashboardServices, dashboard_routes
from connectors.dashboard.auth import NONCE_COOKIE, SESSION_COOKIE, Keys
from learning.dashboard_access import DashboardAccess
from learning.models import LearnerRow
from tests.learning.conftest import fresh_database, postgres_url  # noqa: F401  (fixture)
from tests.learning.dashboard_data import EXPECTED, seed_team
from tests.learning.store import T0, Clock, migrated

SECRET = "dashboard-test-secret"
FIGURES = ("learners", "active_7", "active_30", "lessons_completed", "courses_completed",
           "karma_points", "due_soon", "overdue")  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    sessions = migrated(fresh_database(request.param, request, tmp_path))
    seed_team(sessions)
    return sessions


@dataclass
class Site:
    """The dashboard under test, the services behind it, and a browser."""

    client: TestClient
    access: DashboardAccess
    sessions: sessionmaker[Session]
    clock: Clock

    def open_link(self, who: str, **params: str) -> tuple[str, str]:
        """Open a fresh sign-in link: (its path, the CSRF token of its form)."""
        path = f"/dashboard/signin/{self.access.invite(who)}"
        page = self.client.get(path, params=params)
        assert page.status_code == 200, page.text
        return path, csrf_of(page.text)

    def sign_in(self, who: str) -> None:
        path, csrf = self.open_link(who)
        done = self.client.post(path, data={"csrf": csrf}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/dashboard/", done.text

    def demote(self, who: str) -> None:
        with self.sessions.begin() as session:
            session.execute(update(LearnerRow).filter_by(id=who).values(access="learner"))


def build(sessions: sessionmaker[Session], **options: object) -> Site:
    clock = Clock()
    access = DashboardAccess(sessions, clock, session_ttl=timedelta(hours=12))
    services = DashboardServices(access=access, sessions=sessions, secret=SECRET,
                                 zone=ZoneInfo("Asia/Kolkata"), clock=clock, **options)  # type: ignore[arg-type]  # fmt: skip
    client = TestClient(Starlette(routes=dashboard_routes(services)))
    return Site(client, access, sessions, clock)


@pytest.fixture
def site(sessions: sessionmaker[Session]) -> Iterator[Site]:
    built = build(sessions)
    with built.client:
        yield built


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)"><div class="n">([^<]+)</div>', html))


def expected(who: str) -> dict[str, str]:
    return {key: f"{value:,}" for key, value in zip(FIGURES, EXPECTED[who][:8], strict=True)}


def test_invite_confirm_and_the_overview_shows_the_teams_figures(site: Site) -> None:
    path, csrf = site.open_link("sup_a")
    assert site.client.get(path).status_code == 200  # a second look (a mail scanner) burns nothing
    done = site.client.post(path, data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    cookies = done.headers.get_list("set-cookie")
    cookie = next(h for h in cookies if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie and "Max-Age=43200" in cookie
    page = site.client.get("/dashboard/")
    assert page.status_code == 200
    assert figures(page.text) == expected("sup_a")
    assert "Signed in as Learner sup_a" in page.text
    assert "District A and the units below it" in page.text
    assert page.text.count('<rect class="bar"') == 12
    assert "<script" not in page.text and " src=" not in page.text  # nothing to fetch


def test_an_admin_sees_everyone_and_any_organisation(site: Site) -> None:
    site.sign_in("root")
    page = site.client.get("/dashboard/")
    assert figures(page.text) == expected("root") and "All organisations" in page.text
    district_b = site.client.get("/dashboard/", params={"organisation": "District B"})
    assert district_b.status_code == 200
    assert figures(district_b.text)["learners"] == "2"


@pytest.mark.parametrize(
    "params",
    [{"organisation": "District B"}, {"organisation": "State"}, {"organisation": "Nowhere"},
     {"organisation": "District B", "course": "b-course"}],
)  # fmt: skip
def test_a_supervisor_cannot_read_another_organisation_by_changing_the_url(
    site: Site, params: dict[str, str]
) -> None:
    site.sign_in("sup_a")
    refused = site.client.get("/dashboard/", params=params)
    assert refused.status_code == 404
    assert "outside your organisation" in refused.text
    assert "data-figure" not in refused.text


def options(html: str, name: str) -> list[str]:
    select = html.split(f'<select name="{name}">')[1].split("</select>")[0]
    return re.findall(r'<option value="([^"]+)"', select)


def test_another_organisations_learners_are_in_no_count_or_choice(site: Site) -> None:
    site.sign_in("sup_a")
    page = site.client.get("/dashboard/").text
    assert options(page, "organisation") == ["Block A1", "District A"]
    assert options(page, "role") == ["Clerk", "Director", "Officer"]
    assert options(page, "course") == ["ethics", "rti"]
    assert options(page, "language") == ["en", "hi"]
    # District B's learners match each of these filters; none of them is counted.
    for params in ({"course": "b-course"}, {"role": "Inspector"}, {"language": "ta"}):
        filtered = site.client.get("/dashboard/", params=params)
        assert filtered.status_code == 200
        assert set(figures(filtered.text).values()) == {"0"}, params


def test_filters_in_the_url_narrow_the_figures(site: Site) -> None:
    site.sign_in("sup_a")
    page = site.client.get("/dashboard/", params={"organisation": "Block A1", "language": "hi"})
    assert figures(page.text)["learners"] == "1" and figures(page.text)["karma_points"] == "20"
    assert '<option value="Block A1" selected>' in page.text
    too_long = site.client.get("/dashboard/", params={"role": "x" * 201})
    assert too_long.status_code == 400


def test_without_a_session_the_dashboard_sends_you_to_sign_in(site: Site) -> None:
    response = site.client.get("/dashboard/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/signin"
    help_page = site.client.get("/dashboard/signin")
    assert help_page.status_code == 200 and "sign-in link your administrator" in help_page.text


@pytest.mark.parametrize(
    "cookie",
    ["", "garbage", "sup_a", Keys("another-secret", 3600).csrf("session", "x"),
     "{signed_unknown}", "{tampered}", "{other_secret}"],
)  # fmt: skip
def test_a_forged_or_tampered_cookie_signs_you_out(site: Site, cookie: str) -> None:
    site.sign_in("sup_a")
    real = site.client.cookies[SESSION_COOKIE]
    from itsdangerous import URLSafeTimedSerializer

    forged = {
        "{signed_unknown}": URLSafeTimedSerializer(SECRET, salt="karmabot-dashboard-session")
        .dumps("made-up-session-id"),
        "{tampered}": real[:-2] + ("AA" if not real.endswith("AA") else "BB"),
        "{other_secret}": URLSafeTimedSerializer("wrong", salt="karmabot-dashboard-session")
        .dumps("made-up-session-id"),
    }.get(cookie, cookie)  # fmt: skip
    site.client.cookies.clear()
    site.client.cookies.set(SESSION_COOKIE, forged, path="/dashboard")
    response = site.client.get("/dashboard/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dashboard/signin")
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]  # and the cookie is removed


@pytest.mark.parametrize("csrf", [None, "", "0" * 64, "wrong"])
def test_signing_in_without_the_forms_csrf_token_is_403_and_uses_nothing(
    site: Site, csrf: str | None
) -> None:
    path, _ = site.open_link("sup_a")
    data = {} if csrf is None else {"csrf": csrf}
    refused = site.client.post(path, data=data, follow_redirects=False)
    assert refused.status_code == 403
    assert site.access.link_state(path.rsplit("/", 1)[1]) == "valid"
    assert SESSION_COOKIE not in site.client.cookies


def test_a_sign_in_form_only_works_in_the_browser_that_opened_it(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    path, csrf = site.open_link("sup_a")
    other = build(sessions).client  # another browser (or another site posting the form)
    assert other.post(path, data={"csrf": csrf}).status_code == 403  # without the nonce cookie
    other.get(path)  # with a nonce cookie of its own
    assert other.post(path, data={"csrf": csrf}).status_code == 403
    assert site.access.link_state(path.rsplit("/", 1)[1]) == "valid"
    assert site.client.post(path, data={"csrf": csrf}, follow_redirects=False).status_code == 303


def test_signing_out_needs_the_csrf_token_and_ends_the_session(site: Site) -> None:
    site.sign_in("sup_a")
    page = site.client.get("/dashboard/")
    token = csrf_of(page.text)
    altered = token[:-1] + ("1" if token.endswith("0") else "0")
    for data in ({}, {"csrf": "forged"}, {"csrf": altered}, {"csrf": "é" * 64}):
        refused = site.client.post("/dashboard/signout", data=data, follow_redirects=False)
        assert refused.status_code == 403
    assert site.client.get("/dashboard/").status_code == 200  # still signed in
    kept = site.client.cookies[SESSION_COOKIE]
    out = site.client.post("/dashboard/signout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303 and "signed_out=1" in out.headers["location"]
    assert "You are signed out." in site.client.get(out.headers["location"]).text
    site.client.cookies.clear()
    site.client.cookies.set(SESSION_COOKIE, kept, path="/dashboard")  # a copy of the old cookie
    assert site.client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_used_expired_and_unknown_links_are_refused(
    site: Site, sessions: sessionmaker[Session]
) -> None:
    path, csrf = site.open_link("sup_a")
    second = build(sessions).client  # the same link, opened in another browser meanwhile
    second_csrf = csrf_of(second.get(path).text)
    site.client.post(path, data={"csrf": csrf})
    for response in (second.get(path), second.post(path, data={"csrf": second_csrf})):
        assert response.status_code == 410 and "already been used" in response.text
    late, late_csrf = site.open_link("sup_a")
    site.clock.now = T0 + timedelta(hours=25)
    for response in (site.client.get(late), site.client.post(late, data={"csrf": late_csrf})):
        assert response.status_code == 410 and "expired" in response.text
    unknown = site.client.get("/dashboard/signin/not-a-real-link")
    assert unknown.status_code == 404 and "not valid" in unknown.text


def test_a_demoted_supervisor_loses_access_on_the_next_request(site: Site) -> None:
    site.sign_in("sup_a")
    assert site.client.get("/dashboard/").status_code == 200
    site.demote("sup_a")
    response = site.client.get("/dashboard/", follow_redirects=False)
    assert response.status_code == 303 and "ended=1" in response.headers["location"]
    assert "Your session has ended" in site.client.get(response.headers["location"]).text


def test_a_session_ends_on_the_server_when_it_expires(site: Site) -> None:
    site.sign_in("sup_a")
    site.clock.now = T0 + timedelta(hours=12)
    assert site.client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_the_page_speaks_hindi_when_asked_or_when_the_browser_prefers_it(site: Site) -> None:
    site.sign_in("root")
    by_url = site.client.get("/dashboard/", params={"lang": "hi"})
    by_browser = site.client.get("/dashboard/", headers={"Accept-Language": "hi-IN,hi;q=0.9"})
    for page in (by_url, by_browser):
        assert '<html lang="hi">' in page.text
        assert "टीम का सारांश" in page.text and "शिक्षार्थी" in page.text
        assert "कर्म पॉइंट" in page.text and "सभी संगठन" in page.text
        assert "Team overview" not in page.text
    assert 'name="lang" value="hi"' in by_url.text  # the filter form keeps the language
    tamil = site.client.get("/dashboard/", headers={"Accept-Language": "ta,hi;q=0.5"})
    assert '<html lang="hi">' in tamil.text  # no Tamil dashboard yet: the next preference
    english = site.client.get("/dashboard/", headers={"Accept-Language": "ta, fr;q=0.8"})
    assert '<html lang="en">' in english.text and "Team overview" in english.text


def test_numbers_are_grouped_the_indian_way(sessions: sessionmaker[Session]) -> None:
    from tests.learning.dashboard_data import points, rollups

    with sessions.begin() as session:
        points(session, "idle", 123456)
    rollups(sessions)  # written directly, not through the ledger
    site = build(sessions)
    site.sign_in("root")
    assert figures(site.client.get("/dashboard/").text)["karma_points"] == "1,24,545"


def test_every_page_carries_strict_headers(site: Site) -> None:
    path, _ = site.open_link("sup_a")
    for response in (site.client.get(path), site.client.get("/dashboard/signin")):
        headers = response.headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"  # the link never leaks in a Referer
        assert headers["cache-control"] == "no-store"
        assert headers["x-frame-options"] == "DENY"
    cookies = site.client.get(path).headers.get_list("set-cookie")
    nonce = next(h for h in cookies if h.startswith(NONCE_COOKIE))
    assert "HttpOnly" in nonce and "SameSite=strict" in nonce


def test_cookies_are_secure_behind_https(sessions: sessionmaker[Session]) -> None:
    site = build(sessions, secure_cookies=True)
    path = f"/dashboard/signin/{site.access.invite('sup_a')}"
    page = site.client.get(path)
    assert "Secure" in page.headers["set-cookie"]
    proxied = build(sessions).client.get(
        f"/dashboard/signin/{site.access.invite('sup_a')}", headers={"X-Forwarded-Proto": "https"}
    )
    assert "Secure" in proxied.headers["set-cookie"]


def test_sign_in_pages_are_rate_limited_per_client(sessions: sessionmaker[Session]) -> None:
    site = build(sessions, client_limit="3/minute")
    codes = [site.client.get("/dashboard/signin/guess-" + str(n)).status_code for n in range(4)]
    assert codes == [404, 404, 404, 429]


def test_the_gateway_serves_the_dashboard_beside_the_web_chat(
    sessions: sessionmaker[Session],
) -> None:
    from connectors.conversation import Conversation
    from connectors.gateway import GatewayPolicy, GatewayServices, create_gateway
    from core.i18n import get_catalog
    from learning.repository import InMemoryLearnerRepository
    from tests.connectors.test_web import EchoRasa

    site = build(sessions)
    conversation = Conversation(EchoRasa(), InMemoryLearnerRepository(), get_catalog())  # type: ignore[arg-type]
    routes = site.client.app.routes  # type: ignore[attr-defined]
    services = GatewayServices(conversation, None, GatewayPolicy(secret_key="k" * 32),  # type: ignore[arg-type]
                               dashboard_routes=routes)  # fmt: skip
    with TestClient(create_gateway(services)) as client:
        site.client = client
        site.sign_in("sup_b")
        assert figures(client.get("/dashboard").text) == expected("sup_b")  # slash added
        assert client.get("/").status_code == 200  # the web chat is still there
        assert client.cookies.get(SESSION_COOKIE) and client.cookies.get("karmabot_session")


def test_every_dashboard_language_has_englishs_texts_and_placeholders() -> None:
    from connectors.dashboard.text import SECTIONS, languages
    from core.i18n import section_texts

    def texts(code: str) -> dict[str, str]:
        merged: dict[str, str] = {}
        for section in SECTIONS:
            theirs = section_texts(section, code)
            assert not set(theirs) & set(merged), (code, section)  # a key lives in one section
            merged |= theirs
        return merged

    english = texts("en")
    used = set()
    for template in (Path(__file__).parents[2] / "connectors/dashboard/templates").glob("*.html"):
        used |= set(re.findall(r"t\('(\w+)'", template.read_text(encoding="utf-8")))
    assert used <= set(english), used - set(english)
    assert languages() == ("en", "hi")
    for code in languages():
        theirs = texts(code)
        assert set(theirs) == set(english), code
        for key, text in english.items():
            assert set(re.findall(r"\{(\w+)\}", theirs[key])) == set(re.findall(r"\{(\w+)\}", text))


def test_the_chart_scales_bars_to_the_tallest_and_labels_every_third_from_the_last() -> None:
    from connectors.dashboard.chart import bar_chart

    chart = bar_chart([(f"w{n}", value) for n, value in enumerate([0, 2, 4, 1, 0, 4, 3])])
    tallest = max(bar.height for bar in chart.bars)
    assert [round(bar.height / tallest, 2) for bar in chart.bars] == [0, 0.5, 1, 0.25, 0, 1, 0.75]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert [bar.label for bar in chart.bars if bar.show_label] == ["w0", "w3", "w6"]
    assert all(bar.x >= 0 and bar.x + bar.width <= chart.width for bar in chart.bars)
    assert bar_chart([("a", 0)]).bars[0].height == 0  # an empty team draws no bar, no error
