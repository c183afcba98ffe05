"""The gateway: web chat page, JSON chat API and channel webhooks, in front of Rasa.

Run with `python -m connectors.gateway` (or `karmabot up`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from bot.i18n import get_catalog
from bot.settings import Settings, get_settings
from connectors.conversation import Conversation, Inbound
from connectors.rasa_client import RasaClient, RasaUnavailable
from learning.db import cached_engine, session_factory
from learning.records import RecordStore
from learning.repository import create_learner_repository
from learning.sync import build_sync_job

logger = logging.getLogger(__name__)

WEBCHAT_PAGE = Path(__file__).with_name("webchat") / "index.html"
#: Channels that may use the open JSON API (others come in through authenticated webhooks).
API_CHANNELS = frozenset({"web", "console"})
MAX_USER_ID = 128


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


def create_gateway(settings: Settings | None = None) -> Starlette:
    """Build the gateway app from settings."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        rasa = RasaClient(settings.rasa_url)
        app.state.conversation = Conversation(
            rasa,
            create_learner_repository(settings),
            get_catalog(),
            max_chars=settings.max_message_chars,
        )
        engine = cached_engine(settings.sql_url)
        app.state.records = RecordStore(session_factory(engine))
        # Learning events reach the LRS and Sunbird from here, when they are configured.
        sync, stop = build_sync_job(settings), asyncio.Event()
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


def main(argv: list[str] | None = None) -> None:
    """Serve the gateway."""
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=settings.gateway_host)
    parser.add_argument("--port", type=int, default=settings.gateway_port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(
        create_gateway(settings),
        host=args.host,
        port=args.port,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
