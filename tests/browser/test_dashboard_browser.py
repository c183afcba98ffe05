"""The supervisor dashboard in a real browser (Chromium, through Playwright) against a real
gateway process: sign in by one-time link, the overview's figures and its chart as laid out,
Hindi, another organisation's data out of reach, a tampered cookie, signing out.

Each page is kept as a screenshot (tests/browser/conftest.py says where)."""

from __future__ import annotations

import re
import subprocess
import time
from urllib.parse import quote

import pytest

from tests.browser.conftest import SUP_A, Site, bars, figures, required, sign_in, sup_a_bars

try:
    from playwright.sync_api import Browser, Page, ViewportSize
except ImportError:  # a dev dependency; under CI its absence fails the run
    if required():
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

SESSION_COOKIE = "karmabot_dashboard"


def test_a_supervisor_signs_in_and_sees_the_overview_with_its_chart(site: Site, page: Page) -> None:
    link = site.invite("sup_a")
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to the team dashboard"
    site.shoot(page, "signin")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/dashboard/")
    assert figures(page) == SUP_A
    assert page.get_by_text("Signed in as Learner sup_a").is_visible()
    assert page.get_by_text("District A and the units below it").is_visible()
    heights = bars(page)
    assert len(heights) == 12
    assert [1 if h > 0 else 0 for h in heights] == sup_a_bars(
        site.team.now
    )  # drawn, as the browser laid out
    chart = page.locator("section svg").bounding_box()
    assert chart is not None and chart["width"] > 300 and chart["height"] > 100
    site.shoot(page, "overview")

    # The link was used: opened again (another browser), it signs no one in.
    again = page.context.browser.new_context(locale="en-IN")  # type: ignore[union-attr]
    other = again.new_page()
    response = other.goto(link)
    assert response is not None and response.status == 410
    assert "already been used" in other.locator("main").inner_text()
    assert not other.get_by_role("button", name="Sign in").count()
    site.shoot(other, "link-used")
    again.close()


def test_filters_narrow_the_figures_and_hindi_shows_the_same_figures(
    site: Site, page: Page
) -> None:
    sign_in(site, page, "sup_a")
    page.get_by_label("Organisation").select_option("Block A1")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/dashboard/?*organisation=Block+A1*")
    shown = figures(page)
    assert (shown["learners"], shown["active_30"], shown["due_soon"]) == ("1", "1", "1")
    site.shoot(page, "overview-filtered")

    page.get_by_role("link", name="Clear filters").click()
    page.locator("nav.langs a[hreflang=hi]").click()
    page.wait_for_url("**lang=hi*")
    assert page.locator("html").get_attribute("lang") == "hi"
    assert figures(page) == SUP_A
    assert page.get_by_role("heading", level=1).inner_text() != "Team overview"
    assert len(bars(page)) == 12
    site.shoot(page, "overview-hindi")


def test_another_organisations_data_is_out_of_reach(site: Site, page: Page) -> None:
    sign_in(site, page, "sup_a")
    for organisation in ("District B", "State", "Nowhere"):
        response = page.goto(f"{site.url}/dashboard/?organisation={quote(organisation)}")
        assert response is not None and response.status == 404
        assert "outside your organisation" in page.locator("main").inner_text()
        assert not page.locator("[data-figure]").count()
        assert "Learner b" not in page.content()
    site.shoot(page, "other-organisation-404")

    # District B's own supervisor sees theirs, and nothing of District A.
    page.context.clear_cookies()
    sign_in(site, page, "sup_b")
    assert figures(page)["learners"] == "2"
    response = page.goto(f"{site.url}/dashboard/?organisation=District%20A")
    assert response is not None and response.status == 404
    assert not page.locator("[data-figure]").count()


def test_a_tampered_cookie_is_sent_to_sign_in_and_sign_out_ends_the_session(
    site: Site, page: Page
) -> None:
    sign_in(site, page, "root")
    assert figures(page)["learners"] == "7"
    context = page.context
    cookie = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    value = cookie["value"]
    # A character inside the signature: the last one of an unpadded base64 signature carries
    # bits the decoder ignores, so changing it (A to B, say) can leave the signature valid.
    at = len(value) - 5
    tampered = value[:at] + ("A" if value[at] != "A" else "B") + value[at + 1 :]
    context.add_cookies([cookie | {"value": tampered}])  # type: ignore[list-item]
    page.goto(f"{site.url}/dashboard/")
    assert page.url.startswith(f"{site.url}/dashboard/signin")
    assert "session has ended" in page.locator("main").inner_text()
    assert not page.locator("[data-figure]").count()
    site.shoot(page, "tampered-cookie")

    sign_in(site, page, "root")
    kept = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    page.get_by_role("button", name="Sign out").click()
    assert "You are signed out" in page.locator("main").inner_text()
    site.shoot(page, "signed-out")
    context.add_cookies([kept])  # type: ignore[list-item]  # a copied cookie, replayed
    page.goto(f"{site.url}/dashboard/")
    assert page.url.startswith(f"{site.url}/dashboard/signin")
    assert not page.locator("[data-figure]").count()


def card(page: Page, key: str) -> str:
    """The number a `data-figure` card shows."""
    return page.locator(f"[data-figure={key}] .n").inner_text().strip()


def test_an_at_risk_cohort_becomes_a_campaign_that_reaches_telegram(
    site: Site, page: Page, worker: subprocess.Popen[bytes]
) -> None:
    sign_in(site, page, "sup_a")
    page.get_by_role("link", name="At risk").click()
    page.wait_for_url(f"{site.url}/dashboard/at-risk*")
    # a1 (due in 10 days) and idle (overdue) are at risk; District B's b (due in 5) is not here.
    assert card(page, "at_risk_learners") == "2"
    assert sorted(page.locator("tr[data-learner]").evaluate_all(
        "rows => rows.map(r => r.dataset.learner)")) == ["a1", "idle"]  # fmt: skip
    site.shoot(page, "at-risk")

    page.locator("a[data-cohort=due]").click()
    page.wait_for_url(f"{site.url}/dashboard/campaigns/new*")
    assert page.locator("#field-due_before").input_value()  # the cohort came along
    page.locator("#field-name").fill("Finish before the deadline")
    # No course in a due-date cohort: a message of one's own (the custom template).
    assert page.locator("#template-custom").is_checked()
    page.locator("#field-text").fill("Namaste {name}, please finish your mandatory course in time.")
    site.shoot(page, "campaign-new")
    page.locator("#create-campaign").click()
    page.wait_for_url(re.compile(r".*/dashboard/campaigns/[0-9a-f-]{36}.*"))
    campaign_url = page.url.split("?")[0]
    assert page.locator("#campaign-state").get_attribute("data-status") == "draft"
    assert (card(page, "matched"), card(page, "recipients")) == ("2", "2")
    assert page.locator("[data-sample]").count() >= 1
    site.shoot(page, "campaign-preview")

    page.locator("[data-action=send] button").click()
    page.wait_for_load_state()
    deadline = time.monotonic() + 60
    while card(page, "sent") != "2":
        assert worker.poll() is None, (site.data_dir / "worker.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "the worker did not send the campaign"
        time.sleep(0.5)
        page.goto(campaign_url)
    assert card(page, "targeted") == "2"
    site.shoot(page, "campaign-report")

    chats = {int(c.params["chat_id"]) for c in site.telegram.called("sendMessage")}
    assert chats == {site.team.chats["a1"], site.team.chats["idle"]}
    # Another supervisor's dashboard does not know the campaign.
    page.context.clear_cookies()
    sign_in(site, page, "sup_b")
    response = page.goto(campaign_url)
    assert response is not None and response.status == 404
    assert not page.locator("[data-figure]").count()
    site.shoot(page, "campaign-other-supervisor-404")


PHONE: ViewportSize = {"width": 390, "height": 844}  # a common phone's CSS pixels
PAGES = ("/dashboard/", "/dashboard/courses", "/dashboard/at-risk", "/dashboard/campaigns",
         "/dashboard/campaigns/new", "/dashboard/gaps", "/dashboard/roster")  # fmt: skip


@pytest.mark.parametrize("language", ["en", "hi"])
def test_every_page_fits_a_phone_screen_without_sideways_scrolling(
    site: Site, browser: Browser, language: str
) -> None:
    phone = browser.new_context(
        locale="en-IN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        tab = phone.new_page()
        sign_in(site, tab, "sup_a")
        for path in PAGES:
            response = tab.goto(f"{site.url}{path}?lang={language}")
            assert response is not None and response.status == 200, path
            # A phone widens its layout to whatever overflows: compare with the screen itself.
            # Wide tables scroll inside their own box instead.
            width = tab.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width} px wide on a 390 px phone"
            for svg in tab.locator("svg").all():  # charts scale down with the page
                box = svg.bounding_box()
                assert box is not None and box["x"] >= 0
                assert box["x"] + box["width"] <= PHONE["width"]
            name = path.strip("/").replace("/", "-") or "dashboard"
            site.shoot(tab, f"phone-{language}-{name}")
        tab.goto(f"{site.url}/dashboard/?lang={language}")  # the chart drawn, at phone size
        assert [1 if h > 0 else 0 for h in bars(tab)] == sup_a_bars(site.team.now)
    finally:
        phone.close()
