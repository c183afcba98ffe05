"""The admin API: supervisors and admins run campaigns over HTTP with a bearer token.

Every request names its learner with `Authorization: Bearer kbt_…` (learning/tokens.py); the
learner's access and organisation are read again on each request, so a demoted supervisor is
refused at once. What an actor may do is the campaign service's decision (learning/campaigns.py,
which audits it); this module only turns HTTP into calls and errors into JSON `{"error": …}`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.guard import BodyTooLarge, read_body
from learning.campaign_message import Message, MessageError
from learning.campaign_report import campaign_report
from learning.campaigns import (
    Actor,
    Campaign,
    CampaignNotFound,
    Campaigns,
    CampaignStateError,
    NotAllowed,
    actor_for,
    next_run,
)
from learning.cohort import Cohort, CohortError
from learning.models import utcnow
from learning.sends import SendQueue
from learning.tokens import ApiTokens

PREFIX = "/admin/api/campaigns"
FILTERS = ("course", "status", "due_before", "inactive_days", "role", "language", "organisation")
MESSAGE = ("template", "texts", "course", "due_date", "sender")
#: Longest text per language (Telegram's message limit).
MAX_TEXT = 4096

Work = Callable[[Actor, str, dict[str, Any]], Any]


class Invalid(ValueError):
    """The request body does not describe a valid campaign (422)."""


def error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error response."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    """A campaign as the API shows it."""
    return {
        "id": campaign.id, "name": campaign.name, "status": campaign.status,
        "schedule": campaign.schedule, "owner_id": campaign.owner_id,
        "next_run_at": campaign.next_run_at.isoformat() if campaign.next_run_at else None,
        "runs": campaign.runs, "filters": json.loads(campaign.cohort.to_json()),
        "message": json.loads(campaign.message.to_json()),
        "created_at": campaign.created_at.isoformat(),
    }  # fmt: skip


def _text(values: dict[str, Any], key: str, limit: int) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or "\x00" in value or len(value) > limit:
        raise Invalid(f"`{key}` must be a string of at most {limit} characters")
    return value.strip() or None


def _date(values: dict[str, Any], key: str) -> date | None:
    text = _text(values, key, 10)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise Invalid(f"`{key}` must be a date like 2027-01-31") from None


def _object(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    values = body.get(key) or {}
    if not isinstance(values, dict):
        raise Invalid(f"`{key}` must be an object")
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise Invalid(f"unknown `{key}` fields: {', '.join(unknown)}; known: {', '.join(allowed)}")
    return values


def parse_cohort(body: dict[str, Any]) -> Cohort:
    """The `filters` of a request body."""
    values = _object(body, "filters", FILTERS)
    days = values.get("inactive_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool)):
        raise Invalid("`inactive_days` must be a whole number")
    if days is not None and not 0 <= days <= 36500:
        raise Invalid("`inactive_days` must be between 0 and 36500")
    status: Any = _text(values, "status", 32)  # Cohort checks it is one of STATUSES
    return Cohort(
        course=_text(values, "course", 64),
        status=status,
        due_before=_date(values, "due_before"),
        inactive_days=days,
        role=_text(values, "role", 200),
        language=_text(values, "language", 16),
        organisation=_text(values, "organisation", 200),
    )


def parse_message(body: dict[str, Any]) -> Message:
    """The `message` of a request body."""
    values = _object(body, "message", MESSAGE)
    texts = values.get("texts") or {}
    if not isinstance(texts, dict) or not all(
        isinstance(k, str) and 0 < len(k) <= 16 for k in texts
    ):
        raise Invalid("`texts` must map language codes to texts")
    return Message(
        template=_text(values, "template", 32) or "reminder",
        texts={k: _text(texts, k, MAX_TEXT) or "" for k in texts},
        course=_text(values, "course", 64),
        due_date=_date(values, "due_date"),
        sender=_text(values, "sender", 200),
    )


def parse_create(body: dict[str, Any]) -> tuple[str, Cohort, Message, str]:
    """(name, cohort, message, schedule) of a create request.

    Raises:
        Invalid: with what is wrong.
    """
    name = _text(body, "name", 200)
    if not name:
        raise Invalid("`name` is required")
    schedule = _text(body, "schedule", 64) or "now"
    try:
        cohort, message = parse_cohort(body), parse_message(body)
        next_run(schedule, utcnow())
    except (CohortError, MessageError) as exc:
        raise Invalid(str(exc)) from None
    except ValueError as exc:  # the schedule
        raise Invalid(f"bad schedule {schedule!r}: {exc}") from None
    return name, cohort, message, schedule


def report(sessions: sessionmaker[Session], campaign: Campaign) -> dict[str, Any]:
    """What became of a campaign's sends (all runs): `learning.campaign_report`."""
    return campaign_report(sessions, campaign.id, course=campaign.message.course).as_dict()


def preview_json(campaign: Campaign, counts: dict[tuple[str, str | None, str | None], int]) -> Any:
    """Recipient counts: languages and channels of those who would get it; exclusions."""
    languages: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    excluded: Counter[str] = Counter()
    for (language, channel, reason), n in counts.items():
        if reason:
            excluded[reason] += n
        else:
            languages[language] += n
            channels[channel or "none"] += n
    return {
        "campaign": campaign_json(campaign), "total": sum(counts.values()),
        "recipients": sum(languages.values()), "languages": dict(languages),
        "channels": dict(channels), "excluded": dict(excluded),
    }  # fmt: skip


def admin_routes(
    campaigns: Campaigns,
    tokens: ApiTokens,
    sessions: sessionmaker[Session],
    queue: SendQueue,
    *,
    max_body_bytes: int = 64 * 1024,
) -> list[Route]:
    """The admin API's routes, under /admin/api/campaigns."""

    def authenticate(header: str) -> Actor | Response:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(
                "send `Authorization: Bearer <token>`", 401, {"WWW-Authenticate": "Bearer"}
            )
        learner_id = tokens.resolve(token.strip())
        if learner_id is None:
            challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            return error("the token is unknown or revoked", 401, challenge)
        actor = actor_for(sessions, learner_id, f"api:{learner_id}")
        if actor.reach.nobody:
            return error("the token's learner is no longer a supervisor or admin", 403)
        return actor

    async def parse_body(request: Request) -> dict[str, Any] | Response:
        try:
            body: Any = json.loads(await read_body(request, max_body_bytes))
        except BodyTooLarge:
            return error(f"body over {max_body_bytes} bytes", 413)
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError
            return error("body must be JSON", 400)
        if not isinstance(body, dict):
            return error("body must be a JSON object", 400)
        return body

    def endpoint(
        work: Work, status: int = 200, reads_body: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            actor = await run_in_threadpool(authenticate, request.headers.get("authorization", ""))
            if isinstance(actor, Response):
                return actor
            body = await parse_body(request) if reads_body else {}
            if isinstance(body, Response):
                return body
            campaign_id = str(request.path_params.get("id", ""))
            if (
                len(campaign_id) > 64 or "\x00" in campaign_id
            ):  # never an id; PostgreSQL refuses NUL
                return error("no campaign has that id", 404)
            try:
                result = await run_in_threadpool(work, actor, campaign_id, body)
            except Invalid as exc:
                return error(str(exc), 422)
            except CampaignNotFound:
                return error(f"no campaign has id {campaign_id!r}", 404)
            except NotAllowed as exc:
                return error(f"not allowed: {exc} (not your campaign or outside your reach)", 403)
            except CampaignStateError as exc:
                return error(str(exc), 409)
            headers = {"Location": f"{PREFIX}/{result['id']}"} if status == 201 else None
            return JSONResponse(result, status_code=status, headers=headers)

        return handle

    def create(actor: Actor, _: str, body: dict[str, Any]) -> Any:
        name, cohort, message, schedule = parse_create(body)
        return campaign_json(campaigns.create(actor, name, cohort, message, schedule))

    def listing(actor: Actor, _: str, __: dict[str, Any]) -> Any:
        return {"campaigns": [campaign_json(c) for c in campaigns.all(actor)]}

    def detail(actor: Actor, campaign_id: str, _: dict[str, Any]) -> Any:
        campaign = campaigns.get(actor, campaign_id)
        return {"campaign": campaign_json(campaign), "report": report(sessions, campaign)}

    def preview(actor: Actor, campaign_id: str, _: dict[str, Any]) -> Any:
        return preview_json(*campaigns.preview(actor, campaign_id))

    def transition(action: Callable[[Actor, str], Campaign]) -> Work:
        return lambda actor, campaign_id, _: campaign_json(action(actor, campaign_id))

    routes = [
        Route(PREFIX, endpoint(create, 201, reads_body=True), methods=["POST"]),
        Route(PREFIX, endpoint(listing), methods=["GET"]),
        Route(PREFIX + "/{id:str}", endpoint(detail), methods=["GET"]),
        Route(PREFIX + "/{id:str}/preview", endpoint(preview), methods=["POST"]),
    ]
    actions = {"send": campaigns.send, "pause": campaigns.pause,
               "resume": campaigns.resume, "cancel": campaigns.cancel}  # fmt: skip
    for name, action in actions.items():
        path = f"{PREFIX}/{{id:str}}/{name}"
        routes.append(Route(path, endpoint(transition(action)), methods=["POST"]))
    return routes
