"""The dashboard's campaign pages: the actor's campaigns, a new one, its preview and report.

Routes (all under /dashboard, signed in):
- `GET /campaigns`: the actor's campaigns (`Campaigns.all`: their own, an admin's all).
- `GET /campaigns/new`: the form, pre-filled from the query string's cohort filters.
- `POST /campaigns`: create a draft, then see it.
- `GET /campaigns/{id}`: the preview (who it reaches, a sample per language), the buttons
  its state allows, the delivery funnel and sends over time; reloads itself while sending.
- `POST /campaigns/{id}/send|pause|resume|cancel`.

What an actor may do is the campaign service's decision, and it audits every action (allowed
or refused) under the actor's label, `dashboard:<learner id>`. A campaign that is not the
actor's gets the same 404 page as one that does not exist; an organisation outside their
reach too (as on the overview). A POST without the session's CSRF token is 403 and changes
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from connectors.dashboard import campaign_view as view
from connectors.dashboard.auth import FormTooLarge, read_form
from connectors.dashboard.campaign_forms import BadValue, check, prefill, read_fields
from connectors.dashboard.campaign_new import FormContext, form_context
from connectors.dashboard.render import message, page, with_language
from connectors.dashboard.services import DashboardServices, signed_in_or_redirect
from connectors.dashboard.text import chosen_language, url_language, words
from core.i18n import get_catalog
from learning.campaign_report import campaign_report
from learning.campaigns import (
    Actor,
    CampaignNotFound,
    Campaigns,
    CampaignStateError,
    NotAllowed,
)
from learning.content import pick
from learning.dashboard_campaigns import headlines, names, sends_over_time
from learning.dashboard_queries import OutOfScope, viewer_name
from learning.sends import SendQueue

#: The longest campaign id looked up (ids are UUIDs; anything else is a 404 at once).
MAX_ID = 64


class CampaignPages:
    """The campaign pages.

    Args:
        services: What the dashboard is handed (`campaigns`, else a service on its store).
    """

    def __init__(self, services: DashboardServices) -> None:
        self._services = services
        self._keys = services.keys()
        self._campaigns = services.campaigns or Campaigns(
            services.sessions, SendQueue(services.sessions, services.clock), services.clock
        )

    async def _posted(
        self, request: Request, reader: Callable[[Request], Awaitable[dict[str, str]]]
    ) -> tuple[Actor, str, dict[str, str]] | Response:
        """(the actor, their session id, the form) of a POST from a signed-in browser whose
        form carries the session's CSRF token; else the response that refuses it."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, session_id = current
        try:
            fields = await reader(request)
        except FormTooLarge:
            return message(request, "campaign_too_large", 413)
        if not self._keys.csrf_ok("session", session_id, fields.get("csrf")):
            return message(request, "forbidden", 403)
        return actor, session_id, fields

    def _name(self, actor: Actor) -> str:
        with self._services.sessions() as session:
            return viewer_name(session, actor.learner_id or "")

    def _common(self, actor: Actor, session_id: str) -> dict[str, Any]:
        return {"name": self._name(actor), "csrf": self._keys.csrf("session", session_id),
                "section": "campaigns", "actor": actor}  # fmt: skip

    def _list(self, actor: Actor) -> dict[str, Any]:
        campaigns = self._campaigns.all(actor)
        with self._services.sessions() as session:
            counts = headlines(session, [c.id for c in campaigns])
            owners = names(session, [c.owner_id for c in campaigns])
        return {"campaigns": campaigns, "counts": counts, "owners": owners}

    async def listing(self, request: Request) -> Response:
        """`GET /dashboard/campaigns`: the actor's campaigns, newest first."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, session_id = current
        shown = await run_in_threadpool(self._list, actor)
        common = await run_in_threadpool(self._common, actor, session_id)
        language, _ = chosen_language(request)
        zone = self._services.zone
        return page(request, "campaigns.html", **shown, **common,
                    when=lambda c: view.when(c, language, zone, words(language)),
                    moment=lambda m: view.moment_text(m.astimezone(zone), language))  # fmt: skip

    def _form(
        self, actor: Actor, language: str, values: dict[str, str], fresh: bool = True
    ) -> FormContext:
        return form_context(self._services, actor, language, values, fresh)

    async def new(self, request: Request) -> Response:
        """`GET /dashboard/campaigns/new`: the form, its filters pre-filled from the URL."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, session_id = current
        language, _ = chosen_language(request)
        try:
            values = prefill(request.query_params)
            form = await run_in_threadpool(self._form, actor, language, values)
        except BadValue:
            return message(request, "bad_request", 400, back=True)
        except OutOfScope:
            return message(request, "not_found", 404, back=True)
        common = await run_in_threadpool(self._common, actor, session_id)
        return page(request, "campaign_new.html", form=form, errors={}, **common)

    async def create(self, request: Request) -> Response:
        """`POST /dashboard/campaigns`: a new draft (CSRF checked first), then its page."""
        posted = await self._posted(request, read_fields)
        if isinstance(posted, Response):
            return posted
        actor, session_id, fields = posted
        language, _ = chosen_language(request)
        services = self._services
        others = tuple(code for code in get_catalog().languages() if code != "en")
        draft, values, errors = check(fields, others, services.zone, services.clock())
        if draft is None:
            try:
                form = await run_in_threadpool(self._form, actor, language, values, False)
            except OutOfScope:
                return message(request, "not_found", 404, back=True)
            common = await run_in_threadpool(self._common, actor, session_id)
            return page(request, "campaign_new.html", 400, form=form, errors=errors, **common)
        try:
            campaign = await run_in_threadpool(
                self._campaigns.create, actor, draft.name, draft.cohort, draft.message,
                draft.schedule,
            )  # fmt: skip
        except NotAllowed:  # an organisation outside their reach, or one that does not exist
            return message(request, "not_found", 404, back=True)
        path = with_language(f"/dashboard/campaigns/{campaign.id}", url_language(request))
        return RedirectResponse(path, 303)

    def _title(self, course_id: str, language: str) -> str:
        course = self._services.library.get(course_id)
        return pick(course.title, language, course.source_language) if course else course_id

    def _detail(self, actor: Actor, campaign_id: str, language: str) -> dict[str, Any]:
        """Everything the campaign page shows (the engine audits the look: view or preview)."""
        services, t = self._services, words(language)
        campaign = self._campaigns.get(actor, campaign_id, "view")
        filters = [
            (key, self._title(value, language) if key == "course" else value)
            for key, value in json.loads(campaign.cohort.to_json()).items()
        ]
        shown: dict[str, Any] = {"campaign": campaign, "filters": filters, "preview": None,
                                 "samples": []}  # fmt: skip
        if campaign.runs == 0 and campaign.status in ("draft", "scheduled", "paused"):
            shown["preview"] = preview = view.preview(campaign, self._campaigns.sample(campaign))
            languages = [code for code, _ in preview.languages] or [language]
            shown["samples"] = view.samples(campaign, languages, get_catalog(), services.library,
                                            t("campaign_sample_name"))  # fmt: skip
        report = campaign_report(services.sessions, campaign.id, course=campaign.message.course)
        with services.sessions() as session:
            span = (report.first_sent, report.last_sent)
            timeline = sends_over_time(session, campaign.id, services.zone, span)
        label = {key: t(f"campaign_figure_{key}") for key in view.FUNNEL}
        return shown | {
            "report": report, "funnel": view.funnel(report, label.__getitem__),
            "timeline": timeline, "over_time": view.timeline_chart(timeline, language),
            "actions": view.actions(campaign.status),
            "refresh": view.refreshes(campaign, services.clock()),
            "schedule": view.when(campaign, language, services.zone, t),
        }  # fmt: skip

    async def show(self, request: Request, notice: str | None = None) -> Response:
        """`GET /dashboard/campaigns/{id}`: the campaign's preview, buttons and report."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, session_id = current
        language, _ = chosen_language(request)
        campaign_id = str(request.path_params["id"])
        if len(campaign_id) > MAX_ID or any(ord(c) < 32 for c in campaign_id):
            return message(request, "not_found", 404, back=True)
        try:
            shown = await run_in_threadpool(self._detail, actor, campaign_id, language)
        except (CampaignNotFound, NotAllowed):  # never say whether someone else's exists
            return message(request, "not_found", 404, back=True)
        common = await run_in_threadpool(self._common, actor, session_id)
        done = request.query_params.get("done", "")
        notice = notice or (f"campaign_done_{done}" if done in view.ACTIONS else None)
        status = 409 if notice == "campaign_error_state" else 200
        return page(request, "campaign.html", status, **shown, **common, notice=notice,
                    refresh_seconds=view.REFRESH_SECONDS)  # fmt: skip

    async def act(self, request: Request) -> Response:
        """`POST /dashboard/campaigns/{id}/{action}`: send, pause, resume or cancel."""
        posted = await self._posted(request, read_form)
        if isinstance(posted, Response):
            return posted
        actor = posted[0]
        campaign_id, action = str(request.path_params["id"]), str(request.path_params["action"])
        if action not in view.ACTIONS or len(campaign_id) > MAX_ID or "\x00" in campaign_id:
            return message(request, "not_found", 404, back=True)
        try:
            await run_in_threadpool(getattr(self._campaigns, action), actor, campaign_id)
        except (CampaignNotFound, NotAllowed):
            return message(request, "not_found", 404, back=True)
        except CampaignStateError:  # a double click, or another tab got there first
            return await self.show(request, notice="campaign_error_state")
        path = with_language(f"/dashboard/campaigns/{campaign_id}", url_language(request),
                             done=action)  # fmt: skip
        return RedirectResponse(path, 303)


def campaign_routes(services: DashboardServices) -> list[Route]:
    """The campaign pages' routes (relative to /dashboard; "new" before the ids)."""
    pages = CampaignPages(services)
    return [
        Route("/campaigns", pages.listing, methods=["GET"]),
        Route("/campaigns", pages.create, methods=["POST"]),
        Route("/campaigns/new", pages.new, methods=["GET"]),
        Route("/campaigns/{id:str}", pages.show, methods=["GET"]),
        Route("/campaigns/{id:str}/{action:str}", pages.act, methods=["POST"]),
    ]
