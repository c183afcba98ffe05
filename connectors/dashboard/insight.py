"""The dashboard's insight pages: the course funnel, at-risk learners and knowledge gaps.

`GET /dashboard/courses`, `/dashboard/at-risk` and `/dashboard/gaps`. Every figure is counted
in learning/dashboard_insight*.py under `visible`, the one scope check: an organisation outside
the actor's reach is a 404 (as on the overview), a bad filter value a 400, and a visitor who is
not signed in is sent to sign in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connectors.dashboard.pages import BadFilter, Pages, parse_filters
from connectors.dashboard.render import message, page, with_language
from connectors.dashboard.services import DashboardServices, signed_in_or_redirect
from connectors.dashboard.text import chosen_language, url_language
from learning.campaigns import Actor
from learning.cohort import Cohort
from learning.dashboard_insight import course_funnels
from learning.dashboard_insight_gaps import gaps
from learning.dashboard_insight_risk import Thresholds, at_risk, cohort_params
from learning.dashboard_queries import (
    CHART_WEEKS,
    Filters,
    OutOfScope,
    choices,
    overview,
    viewer_name,
)

#: The campaign form a cohort link opens (its query parameters are the cohort's filters).
CAMPAIGN_FORM = "/dashboard/campaigns/new"
#: Accepted range of the at-risk page's day thresholds.
DAYS_RANGE = {"inactive_days": (1, 3650), "due_days": (0, 3650)}

Loader = Callable[[Session, Actor, Filters], dict[str, Any]]


def parse_thresholds(request: Request) -> Thresholds:
    """The at-risk thresholds from the query string (defaults when absent).

    Raises:
        BadFilter: a value that is not a whole number in range.
    """
    values: dict[str, int] = {}
    for name, (low, high) in DAYS_RANGE.items():
        text = request.query_params.get(name, "").strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit() and len(text) <= 4 and low <= int(text) <= high):
            raise BadFilter(name)
        values[name] = int(text)
    return Thresholds(**values)


def locale_of(language: str) -> str:
    """The Babel locale dates are written in for a dashboard language."""
    return "en_IN" if language == "en" else f"{language}_IN"


def link(cohort: Cohort, lang: str | None) -> str:
    """The campaign form's URL for a cohort (its filters as query parameters)."""
    return with_language(CAMPAIGN_FORM, lang, **cohort_params(cohort))


class Insight(Pages):
    """The funnel, at-risk and gaps pages (with the overview's course titles and chart).

    Args:
        services: What the dashboard is handed.
    """

    def _day(self, language: str) -> Callable[[date | datetime], str]:
        """Writes a date (a time: its day in the deployment's time zone) for the reader."""
        zone, locale = self._services.zone, locale_of(language)

        def day(value: date | datetime) -> str:
            local = value.astimezone(zone).date() if isinstance(value, datetime) else value
            return format_date(local, "d MMM yyyy", locale=locale)

        return day

    async def _show(self, request: Request, section: str, load: Loader) -> Response:
        """Sign-in check, filters, the figures in a worker thread, and the page."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, session_id = current
        language, _ = chosen_language(request)

        def loaded() -> dict[str, Any]:
            with self._services.sessions() as session:
                context = load(session, actor, filters)
                return context | {"name": viewer_name(session, actor.learner_id or ""),
                                  "choices": choices(session, actor)}  # fmt: skip

        try:
            filters = parse_filters(request)
            context = await run_in_threadpool(loaded)
        except BadFilter:
            return message(request, "bad_request", 400, back=True)
        except OutOfScope:
            return message(request, "not_found", 404, back=True)
        return page(
            request, f"{section}.html", section=section, actor=actor, filters=filters,
            csrf=self._keys.csrf("session", session_id), day=self._day(language),
            title_of=lambda course: self._course_title(course, language), **context,
        )  # fmt: skip

    async def courses(self, request: Request) -> Response:
        """`GET /dashboard/courses`: each course's funnel, and the chosen course's weeks."""
        language, _ = chosen_language(request)
        services = self._services

        def load(session: Session, actor: Actor, filters: Filters) -> dict[str, Any]:
            now = services.clock()
            lessons = {course.id: len(course.lessons()) for course in services.library}
            funnels = course_funnels(session, actor, filters, lessons, now)
            figures = overview(session, actor, filters, now, services.zone)
            return {
                "funnels": funnels,
                "chart": self._chart(figures, language),
                "weeks": CHART_WEEKS,
            }

        return await self._show(request, "courses", load)

    async def at_risk(self, request: Request) -> Response:
        """`GET /dashboard/at-risk`: enrollments at risk, and their campaign cohorts."""
        try:
            thresholds = parse_thresholds(request)
        except BadFilter:
            return message(request, "bad_request", 400, back=True)
        services, keep = self._services, url_language(request)

        def load(session: Session, actor: Actor, filters: Filters) -> dict[str, Any]:
            found = at_risk(session, actor, filters, thresholds, services.clock(), services.zone)
            inactive = [(c.learners, c.cohort.course, link(c.cohort, keep)) for c in found.inactive]
            due = (found.due.learners, link(found.due.cohort, keep)) if found.due else None
            return {"risk": found, "thresholds": thresholds, "inactive_links": inactive,
                    "due_link": due}  # fmt: skip

        return await self._show(request, "at_risk", load)

    async def gaps(self, request: Request) -> Response:
        """`GET /dashboard/gaps`: what the actor's learners asked that had no answer."""
        services = self._services

        def load(session: Session, actor: Actor, filters: Filters) -> dict[str, Any]:
            return {"gaps": gaps(session, actor, filters, services.clock())}

        return await self._show(request, "gaps", load)


def insight_routes(services: DashboardServices) -> list[BaseRoute]:
    """The insight pages' routes (mounted under /dashboard)."""
    insight = Insight(services)
    return [
        Route("/courses", insight.courses, methods=["GET"]),
        Route("/at-risk", insight.at_risk, methods=["GET"]),
        Route("/gaps", insight.gaps, methods=["GET"]),
    ]
