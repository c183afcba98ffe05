"""The new-campaign form: its fields, read from a query string (pre-filled) or a POST body,
and checked into what `Campaigns.create` takes.

The cohort filters have the CLI's and the admin API's names (`course`, `status`,
`due_before`, `inactive_days`, `role`, `language`, `organisation`), so another page can link to
`/dashboard/campaigns/new?course=rti&status=not_completed`. Every problem is reported against
its field as a text key of the `dashboard_campaigns` locale section, never as English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from starlette.requests import Request

from connectors.admin_api import MAX_TEXT
from connectors.dashboard.auth import read_form
from learning.campaign_message import NEEDS_COURSE, TEMPLATES, Message, MessageError
from learning.campaigns import WEEKDAYS
from learning.cohort import Cohort, CohortError

#: Cohort filters the form takes (and is pre-filled with from the query string), with the
#: longest value each may have.
FILTERS = {"course": 64, "status": 32, "due_before": 10, "inactive_days": 5, "role": 200,
           "language": 16, "organisation": 200}  # fmt: skip
#: The statuses a reminder is for (a cohort may also be "completed"; the form does not offer it).
STATUSES = ("not_started", "in_progress", "not_completed")
WHEN = ("now", "at", "weekly")
#: Every other field and its longest value (texts: Telegram's message limit).
FIELDS = FILTERS | {"name": 200, "template": 32, "text": MAX_TEXT, "due_date": 10, "sender": 200,
                    "when": 8, "at": 16, "weekday": 3, "weekly_time": 5}  # fmt: skip
#: Largest create body: a few texts of `MAX_TEXT` characters, URL-encoded (Devanagari: 9 bytes
#: a character), stays within the gateway's own body cap.
MAX_BODY = 60 * 1024

Values = dict[str, str]


class BadValue(ValueError):
    """A pre-filled value is too long or holds control characters (400)."""


@dataclass(frozen=True)
class Draft:
    """What `Campaigns.create` takes, from a valid form."""

    name: str
    cohort: Cohort
    message: Message
    schedule: str


def _clean(value: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit or any(ord(c) < 32 and c not in "\r\n\t" for c in value):
        raise BadValue(value[:20])
    return value


def prefill(query: Mapping[str, str]) -> Values:
    """The cohort filters of a query string, for the form to show.

    Raises:
        BadValue: when one is too long or holds control characters.
    """
    return {name: _clean(query.get(name, ""), limit) for name, limit in FILTERS.items()}


def text_field(language: str) -> str:
    """The form field of the message written in `language` (English: `text`)."""
    return "text" if language == "en" else f"text_{language}"


async def read_fields(request: Request) -> Values:
    """The create form's body, capped at `MAX_BODY` (not the dashboard's 8 KB: texts).

    Raises:
        FormTooLarge: when the body is over the cap.
    """
    return await read_form(request, MAX_BODY)


class Checker:
    """Checks a submitted form, collecting one error key per field.

    Args:
        fields: The submitted fields.
        languages: Languages a message can be written in (`text_<code>` fields).
    """

    def __init__(self, fields: Mapping[str, str], languages: tuple[str, ...]) -> None:
        self.errors: dict[str, str] = {}
        self.values: Values = {}
        limits = FIELDS | {text_field(code): MAX_TEXT for code in languages}
        for name, limit in limits.items():
            raw = fields.get(name, "")
            try:
                self.values[name] = _clean(raw, limit)
            except BadValue:
                self.values[name] = raw[:limit]
                self.errors[name] = (
                    "campaign_error_too_long" if len(raw) > limit else "campaign_error_characters"
                )
        self.languages = languages

    def fail(self, field: str, key: str) -> None:
        """Note an error on a field (the first one stays)."""
        self.errors.setdefault(field, key)

    def date(self, field: str) -> date | None:
        """A YYYY-MM-DD field."""
        text = self.values[field]
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            self.fail(field, "campaign_error_date")
            return None

    def choice(self, field: str, allowed: tuple[str, ...]) -> str | None:
        """A field that must be one of `allowed` (or empty)."""
        text = self.values[field]
        if text and text not in allowed:
            self.fail(field, "campaign_error_choice")
            return None
        return text or None

    def days(self) -> int | None:
        """`inactive_days`: a whole number of days."""
        text = self.values["inactive_days"]
        if not text:
            return None
        if not text.isdigit():
            self.fail("inactive_days", "campaign_error_number")
            return None
        return int(text)


def _schedule(check: Checker, zone: tzinfo, now: datetime) -> str:
    when = check.choice("when", WHEN) or "now"
    if when == "at":
        try:
            moment = datetime.fromisoformat(check.values["at"]).replace(tzinfo=zone)
        except ValueError:
            check.fail("at", "campaign_error_time")
            return "now"
        if moment <= now:
            check.fail("at", "campaign_error_past")
        return moment.isoformat(timespec="minutes")
    if when == "weekly":
        day = check.choice("weekday", WEEKDAYS)
        try:
            at = time.fromisoformat(check.values["weekly_time"])
        except ValueError:
            check.fail("weekly_time", "campaign_error_time")
            return "now"
        if day is None:
            check.fail("weekday", "campaign_error_choice")
            return "now"
        return f"weekly {day} {at.strftime('%H:%M')}"
    return "now"


def check(
    fields: Mapping[str, str], languages: tuple[str, ...], zone: tzinfo, now: datetime
) -> tuple[Draft | None, Values, dict[str, str]]:
    """(the draft, or None when anything is wrong; the values to show again; field → error).

    Args:
        fields: The submitted form.
        languages: Languages a message can be written in besides English.
        zone: The time zone of the "at" field.
        now: The current time ("at" must be later).
    """
    check = Checker(fields, languages)
    values = check.values
    if not values["name"]:
        check.fail("name", "campaign_error_required")
    status = check.choice("status", STATUSES)
    template = check.choice("template", TEMPLATES) or "reminder"
    course = values["course"] or None
    if status and not course:
        check.fail("course", "campaign_error_needs_course")
    if template in NEEDS_COURSE and not course:
        check.fail("course", "campaign_error_needs_course")
    due_date, due_before, days = check.date("due_date"), check.date("due_before"), check.days()
    if template == "deadline" and not due_date:
        check.fail("due_date", "campaign_error_required")
    texts = {code: values[text_field(code)] for code in ("en", *languages)}
    if template == "custom" and not any(texts.values()):
        check.fail("text", "campaign_error_required")
    schedule = _schedule(check, zone, now)
    if check.errors:
        return None, values, check.errors
    try:
        cohort = Cohort(
            course=course, status=status, due_before=due_before,  # type: ignore[arg-type]
            inactive_days=days, role=values["role"] or None,
            language=values["language"] or None, organisation=values["organisation"] or None,
        )  # fmt: skip
        written = {k: v for k, v in texts.items() if v} if template == "custom" else {}
        message = Message(template, written, course, due_date, values["sender"] or None)
    except (CohortError, MessageError):  # every case is caught above; kept as a safety net
        return None, values, {"name": "campaign_error_invalid"}
    return Draft(values["name"], cohort, message, schedule), values, {}
