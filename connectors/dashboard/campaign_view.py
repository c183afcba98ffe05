"""What a campaign's page shows: its preview (who it reaches, a sample per language), the
delivery funnel and sends over time, the buttons its state allows, and when to reload."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from babel.dates import format_datetime, get_day_names

from connectors.admin_api import preview_json
from connectors.dashboard.chart import BarChart, Funnel, bar_chart, funnel_chart
from connectors.nudge_render import Renderer
from core.i18n import Catalog
from learning.campaign_report import CampaignReport
from learning.campaigns import WEEKDAYS, Campaign, is_weekly
from learning.content import Library
from learning.dashboard_campaigns import Timeline
from learning.sends import Recipient, Send

#: The buttons of a campaign, and the states each is offered in (the engine's transitions).
ACTIONS = {
    "send": ("draft",),
    "pause": ("scheduled", "sending"),
    "resume": ("paused",),
    "cancel": ("draft", "scheduled", "sending", "paused"),
}
#: The delivery funnel's steps, in order.
FUNNEL = ("targeted", "sent", "delivered", "read", "failed", "skipped", "converted")
#: Seconds between reloads while a campaign is sending (a `<meta http-equiv="refresh">`).
REFRESH_SECONDS = 5
#: At most this many time labels under the sends-over-time chart.
TIME_LABELS = 8
#: The sends-over-time chart has at least this many bars (a lone bar would fill the width).
MIN_BARS = 12

Counts = dict[tuple[str, str | None, str | None], int]


@dataclass(frozen=True)
class Sample:
    """The message one learner in `language` would get: its text and button titles."""

    language: str
    text: str
    buttons: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    """Who a campaign reaches: learners in all, those who would get it, and the breakdowns
    (sorted (value, learners) pairs) by language, channel and exclusion reason."""

    total: int
    recipients: int
    languages: list[tuple[str, int]]
    channels: list[tuple[str, int]]
    excluded: list[tuple[str, int]]


def preview(campaign: Campaign, counts: Counts) -> Preview:
    """The preview of recipient counts (the admin API's breakdown)."""
    shown = preview_json(campaign, counts)

    def pairs(key: str) -> list[tuple[str, int]]:
        return sorted(shown[key].items())

    return Preview(shown["total"], shown["recipients"], pairs("languages"), pairs("channels"),
                   pairs("excluded"))  # fmt: skip


def samples(
    campaign: Campaign, languages: Sequence[str], catalog: Catalog, library: Library, name: str
) -> list[Sample]:
    """One rendered message per language, as the worker would send it to `name`."""
    renderer = Renderer(catalog, library, lambda _: campaign)
    shown = []
    for language in languages:
        learner = Recipient("sample", name, language, "native", None, True, None, "0")
        send = Send(0, "", "campaign", campaign.id, 1, "telegram", 0, {}, learner)
        for message in renderer.messages(send):
            titles = tuple(button.title for button in message.buttons)
            shown.append(Sample(language, message.text, titles))
    return shown


def actions(status: str) -> list[str]:
    """The buttons a campaign in `status` has."""
    return [action for action, states in ACTIONS.items() if status in states]


def refreshes(campaign: Campaign, now: datetime) -> bool:
    """Whether the page reloads itself: while sending, or about to start."""
    if campaign.status == "sending":
        return True
    upcoming = campaign.next_run_at
    return (
        campaign.status == "scheduled"
        and upcoming is not None
        and upcoming <= now + timedelta(minutes=1)
    )


def funnel(report: CampaignReport, label: Callable[[str], str]) -> Funnel:
    """The delivery funnel: learners targeted, sent to, delivered, read, failed (refused or
    undelivered), skipped, and who completed a lesson within the report's days."""
    values = {
        "targeted": report.targeted, "sent": report.sent, "delivered": report.delivered,
        "read": report.read, "failed": report.failed + report.undelivered,
        "skipped": sum(report.skipped.values()), "converted": report.lesson_after,
    }  # fmt: skip
    return funnel_chart([(key, label(key), values[key]) for key in FUNNEL])


def _locale(language: str) -> str:
    return "en_IN" if language == "en" else f"{language}_IN"


def timeline_chart(timeline: Timeline, language: str) -> BarChart:
    """Sends per hour or per day as bars (at least `MIN_BARS`, empty ones before the first
    send), with at most `TIME_LABELS` labels."""
    pattern = "d MMM, HH:mm" if timeline.unit == "hour" else "d MMM"
    step = timedelta(hours=1) if timeline.unit == "hour" else timedelta(days=1)
    padded = list(timeline.points)
    while padded and len(padded) < MIN_BARS:  # the hours (days) before: nothing was sent
        padded.insert(0, (padded[0][0] - step, 0))
    points = [
        (format_datetime(start, pattern, locale=_locale(language)), count)
        for start, count in padded
    ]
    every = max(1, -(-len(points) // TIME_LABELS))
    return bar_chart(points, label_every=every)


def when(campaign: Campaign, language: str, zone: tzinfo, words: Callable[..., str]) -> str:
    """The campaign's schedule in words: now, a date and time, or every week on a day."""
    schedule = campaign.schedule.strip().lower()
    if schedule in ("", "now"):
        return words("campaign_schedule_now")
    if is_weekly(schedule):
        parts = schedule.removeprefix("weekly").split()
        index = WEEKDAYS.index(parts[0][:3]) if parts and parts[0][:3] in WEEKDAYS else 0
        day = get_day_names("wide", locale=_locale(language))[index]
        return words("campaign_schedule_weekly", day=day, time=parts[-1] if parts else "")
    try:
        moment = datetime.fromisoformat(campaign.schedule.strip()).astimezone(zone)
    except ValueError:
        return campaign.schedule
    return words("campaign_schedule_at", time=moment_text(moment, language))


def moment_text(moment: datetime, language: str) -> str:
    """A date and time as readers in India write it."""
    return str(format_datetime(moment, "d MMM yyyy, HH:mm", locale=_locale(language)))
