"""What the new-campaign form offers: the filters' choices within the actor's reach, the
courses, templates, statuses, weekdays and message languages, and its values with defaults."""

from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_date, get_day_names

from connectors.dashboard.campaign_forms import STATUSES, WHEN, text_field
from connectors.dashboard.services import DashboardServices
from connectors.dashboard.text import words
from core.i18n import get_catalog
from learning.campaign_message import TEMPLATES
from learning.campaigns import WEEKDAYS, Actor
from learning.content import pick
from learning.dashboard_queries import Filters, choices, viewer_name, visible

Options = list[tuple[str, str]]


@dataclass(frozen=True)
class FormContext:
    """The form's values and, for each choice field, its (value, shown text) options."""

    values: dict[str, str]
    options: dict[str, Options]
    #: (form field, language code, native name) of the texts a custom message can have.
    texts: list[tuple[str, str, str]]


def _locale(language: str) -> str:
    return "en_IN" if language == "en" else f"{language}_IN"


def _same(values: list[str]) -> Options:
    return [(value, value) for value in values]


def form_context(
    services: DashboardServices,
    actor: Actor,
    language: str,
    values: dict[str, str],
    fresh: bool = True,
) -> FormContext:
    """The form for `actor`, showing `values`; a `fresh` form has defaults where they are empty
    (one sent back with mistakes shows what was sent).

    Raises:
        OutOfScope: when the organisation is outside the actor's reach or does not exist.
    """
    now, t, catalog = services.clock(), words(language), get_catalog()
    with services.sessions() as session:
        if values.get("organisation"):
            visible(session, actor, Filters(organisation=values["organisation"]), now)
        found = choices(session, actor)
        sender = viewer_name(session, actor.learner_id) if actor.learner_id else ""
    library = services.library
    titles = {}
    for course_id in {course.id for course in library} | set(found.courses):
        course = library.get(course_id)
        titles[course_id] = (
            pick(course.title, language, course.source_language) if course else course_id
        )
    day = format_date(now.astimezone(services.zone), "d MMM yyyy", locale=_locale(language))
    defaults = {
        "name": t("campaign_default_name", date=day),
        "template": "reminder" if values.get("course") else "custom",
        "sender": sender,
        "when": "now",
        "weekday": "mon",
        "weekly_time": "09:30",
    }
    days = get_day_names("wide", locale=_locale(language))
    options = {
        "organisation": _same(found.organisations),
        "role": _same(found.roles),
        "language": [(code, catalog.native_name(code)) for code in found.languages],
        "course": sorted(titles.items(), key=lambda item: item[1].lower()),
        "status": [(s, t(f"campaign_progress_{s}")) for s in STATUSES],
        "template": [(name, t(f"campaign_template_{name}")) for name in TEMPLATES],
        "when": [(name, t(f"campaign_when_{name}")) for name in WHEN],
        "weekday": [(code, days[index]) for index, code in enumerate(WEEKDAYS)],
    }
    return FormContext(
        values=values | {k: v for k, v in defaults.items() if fresh and not values.get(k)},
        options=options,
        texts=[(text_field(code), code, catalog.native_name(code)) for code in catalog.languages()],
    )
