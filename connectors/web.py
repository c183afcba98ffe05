"""The gateway's own web routes: the chat page, the JSON chat API, certificates.

Who is talking is decided here, never by the caller's say-so (connectors/guard.py): the page's
learner comes from a signed session cookie the server issued; a caller that names a `user`
must hold the API token, or be on this machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from connectors.conversation import Conversation, Inbound
from connectors.guard import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    BodyTooLarge,
    ClientLimits,
    WebSessions,
    bearer_matches,
    is_loopback,
    read_body,
)
from connectors.rasa_client import RasaUnavailable
from learning.records import RecordStore

logger = logging.getLogger(__name__)

WEBCHAT_PAGE = Path(__file__).with_name("webchat") / "index.html"
#: Channels a trusted API caller may speak for (others come in through signed webhooks).
API_CHANNELS = frozenset({"web", "console"})
MAX_USER_ID = 128


def error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error response."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def webchat(request: Request) -> Response:
    """The one-page web chat; a visitor without a valid session gets a new one."""
    sessions: WebSessions = request.app.state.sessions
    page = FileResponse(WEBCHAT_PAGE, media_type="text/html; charset=utf-8")
    if sessions.read(request.cookies.get(SESSION_COOKIE)) is None:
        _, cookie = sessions.issue()
        page.set_cookie(
            SESSION_COOKIE, cookie, max_age=SESSION_MAX_AGE, httponly=True,
            samesite="strict", secure=_secure(request), path="/",
        )  # fmt: skip
    return page


def _same_origin(request: Request) -> bool:
    """False when a browser says the request comes from another site."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _identity(request: Request, body: dict[str, Any]) -> tuple[str, str] | JSONResponse:
    """(channel, user id) of the caller, or the error to answer with."""
    if "user" not in body:
        sessions: WebSessions = request.app.state.sessions
        user = sessions.read(request.cookies.get(SESSION_COOKIE))
        if user is None or not _same_origin(request):
            return error("no web chat session: open the chat page first", 401)
        return "web", user
    token = request.app.state.api_token
    if not bearer_matches(request, token) and not (token is None and is_loopback(request)):
        return error(
            "naming a `user` needs `Authorization: Bearer <KARMABOT_API_TOKEN>`"
            + ("" if token else " (or a call from this machine)"),
            401,
        )
    user, channel = body.get("user"), body.get("channel", "web")
    if not isinstance(user, str) or not user.strip() or len(user) > MAX_USER_ID:
        return error(f"`user` must be a non-empty string of at most {MAX_USER_ID} chars", 400)
    if channel not in API_CHANNELS:
        return error(f"`channel` must be one of {sorted(API_CHANNELS)}", 400)
    return channel, user.strip()


async def chat_api(request: Request) -> Response:
    """`POST /chat/api` with `{"text": ...}` (web session) or `{"user", "text"}` (API): a turn."""
    limits: ClientLimits = request.app.state.client_limits
    if not limits.allow(request):
        retry = str(limits.retry_after(request))
        return error("too many requests; slow down", 429, {"Retry-After": retry})
    try:
        raw = await read_body(request, request.app.state.max_body_bytes)
    except BodyTooLarge:
        return error(f"body over {request.app.state.max_body_bytes} bytes", 413)
    try:
        body: Any = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error('body must be JSON: {"text": "..."}', 400)
    if not isinstance(body, dict):
        return error("body must be a JSON object", 400)
    identity = _identity(request, body)
    if isinstance(identity, Response):
        return identity
    channel, user = identity
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        return error("`text` must be a string", 400)
    conversation: Conversation = request.app.state.conversation
    try:
        replies = await conversation.handle(Inbound(channel, user, text))
    except RasaUnavailable as exc:
        logger.error("%s", exc)
        return error("the dialogue engine is not available; try again shortly", 503)
    return JSONResponse({"user": user, "messages": [m.to_json() for m in replies]})


async def certificate_pdf(request: Request) -> Response:
    """`GET /certificates/{code}.pdf`: the certificate with that verification code."""
    from learning.certificate import render_pdf

    limits: ClientLimits = request.app.state.client_limits
    if not limits.allow(request):
        return error("too many requests; slow down", 429)
    records: RecordStore = request.app.state.records
    code = str(request.path_params["code"])
    certificate = await asyncio.to_thread(records.certificate, code)
    if certificate is None:
        return error("no certificate has this code", 404)
    pdf = await asyncio.to_thread(render_pdf, certificate, request.app.state.public_url)
    disposition = f'inline; filename="karmabot-certificate-{certificate.code}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
