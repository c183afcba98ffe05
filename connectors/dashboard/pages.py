"""`GET /dashboard/`: the team overview of the signed-in supervisor or admin.

Every figure is counted in `learning.dashboard_queries` under `visible`, the one scope check:
an organisation outside the actor's reach is a 404 (the same page as one that does not exist),
and learners outside it are in no count.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_date
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from connectors.dashboard.chart import BarChart, bar_chart
from connectors.dashboard.render import message, page
from connectors.dashboard.services import DashboardServices, signed_in_or_redirect
from connectors.dashboard.text import chosen_language
from learning.campaigns import Actor
from learning.content import pick
from learning.dashboard_queries import (
    CHART_WEEKS,
    DUE_SOON_DAYS,
    Choices,
    Filters,
    OutOfScope,
    Overview,
    choices,
    overview,
    viewer_name,
)

#: Longest value each filter takes (longer ones are refused, never truncated).
FILTER_LIMITS = {"organisation": 200, "role": 200, "course": 64, "language": 16}


class BadFilter(ValueError):
    """A filter value is too long or holds control characters (400)."""


def parse_filters(request: Request) -> Filters:
    """The page's filters from its query string; empty ones are no filter."""
    values: dict[str, str | None] = {}
    for name, limit in FILTER_LIMITS.items():
        value = request.query_params.get(name, "").strip()
        if len(value) > limit or any(ord(c) < 32 for c in value):
            raise BadFilter(name)
        values[name] = value or None
    return Filters(**values)


@dataclass(frozen=True)
class View:
    """What the overview page shows."""

    overview: Overview
    choices: Choices
    name: str


class Pages:
    """The dashboard's signed-in pages.

    Args:
        services: What the dashboard is handed.
    """

    def __init__(self, services: DashboardServices) -> None:
        self._services = services
        self._keys = services.keys()

    def _load(self, actor: Actor, filters: Filters) -> View:
        services = self._services
        with services.sessions() as session:
            figures = overview(session, actor, filters, services.clock(), services.zone)
            name = viewer_name(session, actor.learner_id or "")
            return View(figures, choices(session, actor), name)

    def _course_title(self, course_id: str, language: str) -> str:
        course = self._services.library.get(course_id)
        return pick(course.title, language, course.source_language) if course else course_id

    def _chart(self, figures: Overview, language: str) -> BarChart:
        locale = "en_IN" if language == "en" else f"{language}_IN"
        points = [(format_date(w.start, "d MMM", locale=locale), w.active) for w in figures.weeks]
        return bar_chart(points)

    async def overview(self, request: Request) -> Response:
        """The team overview, filtered by the query string."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, session_id = current
        language, _ = chosen_language(request)
        try:
            filters = parse_filters(request)
            view = await run_in_threadpool(self._load, actor, filters)
        except BadFilter:
            return message(request, "bad_request", 400, back=True)
        except OutOfScope:
            return message(request, "not_found", 404, back=True)
        courses = [(c, self._course_title(c, language)) for c in view.choices.courses]
        return page(
            request, "overview.html", view=view, figures=view.overview, filters=filters,
            name=view.name, section="overview",
            courses=courses, chart=self._chart(view.overview, language), actor=actor,
            csrf=self._keys.csrf("session", session_id), due_days=DUE_SOON_DAYS, weeks=CHART_WEEKS,
        )  # fmt: skip
