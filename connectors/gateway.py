"""The gateway: web chat page, JSON chat API and channel webhooks, in front of Rasa.

`create_gateway(services)` is handed its services by the composition root; the process entry
point is `python -m bot.serve gateway` (what `karmabot up` starts). It is the only door to
Karmabot, and it is locked (connectors/guard.py): the web chat's identity is issued by the
server, naming a user on the JSON API needs a token beyond loopback, webhooks are signed, and
every request has a size cap and a rate limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.certificate_page import verify_certificate
from connectors.channel import Channel
from connectors.conversation import Conversation
from connectors.guard import ClientLimits, WebSessions
from connectors.web import certificate_pdf, chat_api, webchat
from learning.certificate_text import LOCAL_URL
from learning.records import RecordStore
from learning.sync import SyncJob


@dataclass(frozen=True)
class GatewayPolicy:
    """How the gateway guards its door.

    Attributes:
        secret_key: Signs web chat sessions.
        api_token: Lets a caller name a `user` on `/chat/api`; None = loopback callers only.
        max_body_bytes: Largest request body accepted (413 beyond).
        client_limit: Requests per client address on the API, in `limits` notation.
        cors_origins: Other origins allowed to call the API from a browser (none by default).
    """

    secret_key: str
    api_token: str | None = None
    max_body_bytes: int = 64 * 1024
    client_limit: str = "120/minute"
    cors_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class GatewayServices:
    """What the gateway is handed by the composition root.

    Attributes:
        conversation: One turn for any channel (it holds the Rasa client and learner store).
        records: Learner records (certificates by verification code).
        policy: How the door is guarded.
        sync: The outbox sync job to run beside the gateway, when a sink is configured.
        channels: Messaging channels (Telegram, WhatsApp) whose routes the gateway serves.
        admin_routes: The campaign admin API (`connectors/admin_api.py`), bearer tokens.
        dashboard_routes: The supervisor dashboard (`connectors/dashboard/`), under /dashboard.
        public_url: Where certificates are verified (`KARMABOT_PUBLIC_URL`).
    """

    conversation: Conversation
    records: RecordStore
    policy: GatewayPolicy
    sync: SyncJob | None = None
    channels: Sequence[Channel] = field(default_factory=tuple)
    admin_routes: Sequence[BaseRoute] = field(default_factory=tuple)
    dashboard_routes: Sequence[BaseRoute] = field(default_factory=tuple)
    public_url: str = LOCAL_URL


async def health(request: Request) -> Response:
    """Liveness, and whether Rasa answers."""
    conversation: Conversation = request.app.state.conversation
    return JSONResponse({"status": "ok", "rasa": await conversation.rasa.ready()})


def create_gateway(services: GatewayServices) -> Starlette:
    """Build the gateway app around the services it is handed."""
    policy = services.policy

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = app.state
        state.conversation, state.records = services.conversation, services.records
        state.public_url = services.public_url
        state.sessions = WebSessions(policy.secret_key)
        state.api_token, state.max_body_bytes = policy.api_token, policy.max_body_bytes
        state.client_limits = ClientLimits(policy.client_limit)
        # Learning events reach the LRS and Sunbird from here, when they are configured.
        sync, stop = services.sync, asyncio.Event()
        task = asyncio.create_task(sync.run_forever(stop)) if sync else None
        started: list[Channel] = []
        try:
            for channel in services.channels:
                await channel.start()
                started.append(channel)
            yield
        finally:
            for channel in reversed(started):
                await channel.stop()
            stop.set()
            if task:
                await task
            await services.conversation.rasa.aclose()

    routes: list[BaseRoute] = [
        Route("/", webchat),
        Route("/health", health),
        Route("/chat/api", chat_api, methods=["POST"]),
        Route("/certificates/verify/{code:str}", verify_certificate),
        Route("/certificates/{code:str}.pdf", certificate_pdf),
    ]
    for channel in services.channels:
        routes.extend(channel.routes())
    routes.extend(services.admin_routes)
    routes.extend(services.dashboard_routes)
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=list(policy.cors_origins),
            allow_methods=["POST"],
            allow_headers=["Content-Type", "Authorization"],
        )
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
