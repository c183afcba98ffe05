"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright against a real
gateway process (`python -m bot.serve gateway`) on loopback, serving the dashboard from a
migrated SQLite store in a temporary data directory, with a fake Telegram Bot API for the
delivery worker.

Chromium is `/usr/bin/chromium` (`.ci/run` installs Debian's `chromium` package), or
`KARMABOT_CHROMIUM`. Playwright's own browser download is never used. Without Chromium the
tests skip, except under CI (`CI=true`) or with `KARMABOT_REQUIRE_BROWSER=1`, where they fail.

Every page a test looks at is kept as a screenshot: in `<data dir>/screenshots/` of the
gateway's temporary data directory, and copied to `var/screenshots/browser/` (the default data
directory), or `KARMABOT_SCREENSHOTS`, which each run empties first.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.settings import PROJECT_ROOT
from learning.activity import rebuild
from learning.dashboard_access import DashboardAccess
from learning.models import (
    ChannelLinkRow,
    EnrollmentRow,
    LessonCompletionRow,
    PointsRow,
    QuizAttemptRow,
)
from learning.organisations import ensure
from tests.fakes.server import free_port, serve
from tests.fakes.telegram import FakeTelegram
from tests.learning.store import add_learner, migrated

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path(os.environ.get("KARMABOT_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(
    os.environ.get("KARMABOT_SCREENSHOTS", PROJECT_ROOT / "var" / "screenshots" / "browser")
)
SECRET = "browser-test-secret"
ZONE = ZoneInfo("Asia/Kolkata")
#: A course of the sample content (content/), so pages show its title.
COURSE = "rti-for-officials"
DAY = timedelta(days=1)


def required() -> bool:
    """Whether a missing browser fails the run instead of skipping (CI)."""
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    return ci or os.environ.get("KARMABOT_REQUIRE_BROWSER") == "1"


def missing(reason: str) -> None:
    """Skip, or fail under CI: the browser tests must run there."""
    if required():
        pytest.fail(f"{reason} (required under CI / KARMABOT_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium from Debian's package, headless."""
    if not CHROMIUM.exists():
        missing(f"no Chromium at {CHROMIUM}: apt-get install chromium, or set KARMABOT_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Team:
    """Who is in the seeded team, and when "now" was for its dates."""

    now: datetime
    #: Telegram chat id of each learner with a chat link.
    chats: dict[str, int] = field(default_factory=dict)


def seed(sessions: sessionmaker[Session], now: datetime) -> Team:
    """The dashboard tests' team (tests/learning/dashboard_data.py) dated from `now`:

    State ─┬─ District A (supervisor sup_a) ── Block A1
           └─ District B (supervisor sup_b)

    Each learner has a Telegram chat, so a campaign reaches them through the fake Telegram.
    """
    today = now.astimezone(ZONE).date()
    team = Team(now)
    people = [  # id, organisation, access, role, language
        ("root", "State", "admin", "Secretary", "en"),
        ("sup_a", "District A", "supervisor", "Director", "en"),
        ("sup_b", "District B", "supervisor", "Director", "en"),
        ("a", "District A", "learner", "Clerk", "en"),
        ("a1", "Block A1", "learner", "Officer", "hi"),
        ("idle", "District A", "learner", "Clerk", "en"),
        ("b", "District B", "learner", "Inspector", "ta"),
    ]
    with sessions.begin() as session:
        ensure(session, "District A", "State")
        ensure(session, "Block A1", "District A")
        ensure(session, "District B", "State")
    for number, (lid, org, access, role, language) in enumerate(people):
        add_learner(sessions, lid, org=org, language=language, channel=None, access=access,
                    role=role, created=now - 60 * DAY)  # fmt: skip
        team.chats[lid] = 9100 + number
    with sessions.begin() as session:  # Telegram chat ids the fake Telegram accepts
        for lid, chat in team.chats.items():
            session.add(ChannelLinkRow(learner_id=lid, channel="telegram",
                                       channel_user_id=str(chat)))  # fmt: skip
    with sessions.begin() as session:
        enrol(session, "a", COURSE, now - 40 * DAY, completed=now - 3 * DAY)
        lessons(session, "a", COURSE, [now - 20 * DAY, now - 3 * DAY])
        points(session, "a", 10, 10, 50)
        enrol(session, "a1", COURSE, now - 50 * DAY, due=today + 10 * DAY)
        session.add(
            QuizAttemptRow(learner_id="a1", course_id=COURSE, quiz_id="m1", number=1, layout="[]",
                           total=3, language="hi", started_at=now - 10 * DAY)
        )  # fmt: skip
        points(session, "a1", 20)
        enrol(session, "idle", COURSE, now - 100 * DAY, due=today - 3 * DAY)
        enrol(session, "b", COURSE, now - 2 * DAY, completed=now - 3 * DAY)
        enrol(session, "b", "cyber-hygiene", now - 2 * DAY, due=today + 5 * DAY)
        lessons(session, "b", "cyber-hygiene", [now - DAY] * 5)
        points(session, "b", 999)
    with sessions.begin() as session:  # the rollups, as the write paths would keep them
        rebuild(session.connection(), ZoneInfo("Asia/Kolkata"), now)
    return team


def enrol(
    session: Session, learner: str, course: str, at: datetime, *,
    completed: datetime | None = None, due: date | None = None,
) -> None:  # fmt: skip
    session.add(EnrollmentRow(learner_id=learner, course_id=course, enrolled_at=at,
                              updated_at=at, completed_at=completed, due_on=due))  # fmt: skip


def lessons(session: Session, learner: str, course: str, times: list[datetime]) -> None:
    for number, at in enumerate(times):
        session.add(LessonCompletionRow(learner_id=learner, course_id=course,
                                        lesson_id=f"l{number}", language="en",
                                        completed_at=at))  # fmt: skip


def points(session: Session, learner: str, *awards: int) -> None:
    for number, award in enumerate(awards):
        session.add(PointsRow(learner_id=learner, key=f"k{number}", reason="lesson", points=award))


#: What sup_a's overview shows with no filters (the seed's hand-worked figures, as in
#: tests/learning/dashboard_data.py): sup_a, a, a1 and idle; never District B's people.
SUP_A = {
    "learners": "4", "active_7": "1", "active_30": "2", "lessons_completed": "2",
    "courses_completed": "1", "karma_points": "90", "due_soon": "1", "overdue": "1",
}  # fmt: skip
#: Days before "now" on which District A's learners were active (a, a1's quiz, a).
SUP_A_ACTIVE_DAYS = (20, 10, 3)


def sup_a_bars(now: datetime) -> list[int]:
    """The overview's 12 calendar-week bars (Monday to Sunday, India time, the last one the
    current week) with anyone of District A active: 1, else 0; oldest first."""
    zone = ZoneInfo("Asia/Kolkata")

    def monday(moment: datetime) -> date:
        day = moment.astimezone(zone).date()
        return day - timedelta(days=day.weekday())

    found = [0] * 12
    for days in SUP_A_ACTIVE_DAYS:
        back = (monday(now) - monday(now - days * DAY)).days // 7
        if back < 12:
            found[11 - back] = 1
    return found


def process_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A process's environment for the data directory: SQLite there, nothing from the caller's
    own store or channels."""
    dropped = ("DATABASE_URL", "REDIS_URL", "TELEGRAM_", "WHATSAPP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return env | {
        "KARMABOT_DATA_DIR": str(data_dir),
        "KARMABOT_DASHBOARD_SECRET": SECRET,
        "KARMABOT_CONTENT_DIR": str(PROJECT_ROOT / "content"),
        "KARMABOT_TIMEZONE": "Asia/Kolkata",
        "KARMABOT_QUIET_HOURS": "off",  # the worker's sends must not wait for the morning
        **extra,
    }


@dataclass
class Site:
    """The gateway under test and what the test process shares with it."""

    url: str
    data_dir: Path
    sessions: sessionmaker[Session]
    access: DashboardAccess
    team: Team
    telegram: FakeTelegram
    telegram_url: str
    shots: list[Path] = field(default_factory=list)

    def invite(self, who: str) -> str:
        """A one-time sign-in link for `who`, as `karmabot supervisors invite` prints it."""
        return f"{self.url}/dashboard/signin/{self.access.invite(who)}"

    def shoot(self, page: Page, name: str) -> Path:
        """A full-page screenshot under the data directory, copied to the artifacts folder."""
        folder = self.data_dir / "screenshots"
        folder.mkdir(exist_ok=True)
        path = folder / f"{len(self.shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, ARTIFACTS / path.name)
        self.shots.append(path)
        return path


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A Karmabot process in its own process group, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.serve", *args], cwd=PROJECT_ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's group, SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the gateway exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the gateway did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A gateway process on a seeded store, and a fake Telegram for the worker."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    data_dir = tmp_path_factory.mktemp("data")
    sessions = migrated(f"sqlite:///{data_dir / 'karmabot.db'}")
    team = seed(sessions, datetime.now(UTC))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = process_env(data_dir, KARMABOT_PUBLIC_URL=url, KARMABOT_CLIENT_LIMIT="10000/minute")
    log = data_dir / "gateway.log"
    gateway = start(["gateway", "--host", "127.0.0.1", "--port", str(port)], env, log)
    telegram = FakeTelegram()
    try:
        wait_until_up(url, gateway, log)
        with serve(telegram.app()) as telegram_url:
            yield Site(url, data_dir, sessions, DashboardAccess(sessions), team, telegram,
                       telegram_url)  # fmt: skip
    finally:
        stop(gateway)


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A fresh browser context (no cookies), preferring English."""
    context = browser.new_context(locale="en-IN", viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def worker(site: Site) -> Iterator[subprocess.Popen[bytes]]:
    """The delivery worker (`python -m bot.serve worker`) sending to the fake Telegram."""
    env = process_env(
        site.data_dir, TELEGRAM_BOT_TOKEN=site.telegram.token,
        KARMABOT_TELEGRAM_API_URL=f"{site.telegram_url}/bot", KARMABOT_WORKER_NAME="browser",
    )  # fmt: skip
    process = start(["worker"], env, site.data_dir / "worker.log")
    try:
        yield process
    finally:
        stop(process)


def sign_in(site: Site, page: Page, who: str) -> None:
    """Open a fresh link for `who` and press Sign in; lands on the overview."""
    page.goto(site.invite(who))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/dashboard/")


def figures(page: Page) -> dict[str, str]:
    """The overview's cards: figure key → the number shown."""
    found: Any = page.eval_on_selector_all(
        "[data-figure]",
        "cards => cards.map(c => [c.dataset.figure, c.querySelector('.n').textContent.trim()])",
    )
    return dict(found)


def bars(page: Page) -> list[float]:
    """Heights of the chart's bars as the browser laid them out (oldest first)."""
    found: Any = page.eval_on_selector_all(
        "svg rect.bar", "rects => rects.map(r => r.getBBox().height)"
    )
    return [float(height) for height in found]
