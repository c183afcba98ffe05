"""The gateway: web chat page, JSON chat API and channel webhooks, in front of Rasa.

`create_gateway(services)` is handed its services by the composition root; the process entry
point is `python -m bot.serve gateway` (what `karmabot up` starts).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from connectors.conversation import Conversation, Inbound
from connectors.rasa_client import RasaClient, RasaUnavailable
from core.i18n import Catalog
from learning.records import RecordStore
from learning.repository import LearnerRepository
from learning.sync import SyncJob

logger = logging.getLogger(__name__)

WEBCHAT_PAGE = Path(__file__).with_name("webchat") / "index.html"
#: Channels that may use the open JSON API (others come in through authenticated webhooks).
API_CHANNELS = frozenset({"web", "console"})
MAX_USER_ID = 128


@dataclass(frozen=True)
class GatewayServices:
    """What the gateway is handed by the composition root.

    Attributes:
        learners: The learner repository (channel identities to learners).
        records: Learner records (certificates by verification code).
        catalog: The localized catalog (input guards, language offers).
        sync: The outbox sync job to run beside the gateway, when a sink is configured.
        rasa_url: Where Rasa's REST channel listens.
        max_message_chars: Longest message passed on to Rasa.
    """

    learners: LearnerRepository
    records: RecordStore
    catalog: Catalog
    sync: SyncJob | None
    rasa_url: str
    max_message_chars: int


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def webchat(_: Request) -> Response:
    """The one-page web chat."""
    return FileResponse(WEBCHAT_PAGE, media_type="text/html; charset=utf-8")


async def health(request: Request) -> Response:
    """Liveness, and whether Rasa answers."""
    conversation: Conversation = request.app.state.conversation
    return JSONResponse({"status": "ok", "rasa": await conversation.rasa.ready()})


async def chat_api(request: Request) -> Response:
    """`POST /chat/api` with `{"user": ..., "text": ...}`: one turn, replies as JSON."""
    try:
        body: Any = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error('body must be JSON: {"user": "...", "text": "..."}', 400)
    if not isinstance(body, dict):
        return _error("body must be a JSON object", 400)
    user, text = body.get("user"), body.get("text")
    channel = body.get("channel", "web")
    if not isinstance(user, str) or not user.strip() or len(user) > MAX_USER_ID:
        return _error(f"`user` must be a non-empty string of at most {MAX_USER_ID} chars", 400)
    if text is not None and not isinstance(text, str):
        return _error("`text` must be a string", 400)
    if channel not in API_CHANNELS:
        return _error(f"`channel` must be one of {sorted(API_CHANNELS)}", 400)
    conversation: Conversation = request.app.state.conversation
    try:
        replies = await conversation.handle(Inbound(channel, user.strip(), text))
    except RasaUnavailable as exc:
        logger.error("%s", exc)
        return _error("the dialogue engine is not available; try again shortly", 503)
    return JSONResponse({"user": user, "messages": [m.to_json() for m in replies]})


async def certificate_pdf(request: Request) -> Response:
    """`GET /certificates/{code}.pdf`: the certificate with that verification code."""
    from learning.certificate import render_pdf

    records: RecordStore = request.app.state.records
    code = str(request.path_params["code"])
    certificate = await asyncio.to_thread(records.certificate, code)
    if certificate is None:
        return _error("no certificate has this code", 404)
    pdf = await asyncio.to_thread(render_pdf, certificate)
    disposition = f'inline; filename="karmabot-certificate-{certificate.code}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


def create_gateway(services: GatewayServices) -> Starlette:
    """Build the gateway app around the services it is handed."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        rasa = RasaClient(services.rasa_url)
        app.state.conversation = Conversation(
            rasa, services.learners, services.catalog, max_chars=services.max_message_chars
        )
        app.state.records = services.records
        # Learning events reach the LRS and Sunbird from here, when they are configured.
        sync, stop = services.sync, asyncio.Event()
        task = asyncio.create_task(sync.run_forever(stop)) if sync else None
        try:
            yield
        finally:
            stop.set()
            if task:
                await task
            await rasa.aclose()

    routes = [
        Route("/", webchat),
        Route("/health", health),
        Route("/chat/api", chat_api, methods=["POST"]),
        Route("/certificates/{code:str}.pdf", certificate_pdf),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
