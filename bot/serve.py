"""Process entry points: each builds the container from settings and serves one adapter.

    python -m bot.serve actions [--port P] [--workers N]   # Rasa SDK actions and /nlg
    python -m bot.serve gateway [--host H] [--port P]      # web chat, JSON API, webhooks
    python -m bot.serve worker                             # nudges and campaigns

`karmabot up` starts both (bot/stack.py); they can also run on their own, e.g. under a
process manager.
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from bot.container import container
from core.heap import freeze_startup_heap

if TYPE_CHECKING:
    from sanic import Sanic
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def action_app() -> Sanic:
    """The action server app, built in each Sanic worker from the process's settings."""
    from actions.server import create_action_app

    app = create_action_app(container().action_services())

    @app.after_server_start
    async def freeze_when_loaded(started: Sanic) -> None:
        # After the knowledge base's pre-load (registered first, so it runs first), start-up
        # is over: its objects leave the garbage collector's generations.
        started.ctx.knowledge_loaded.add_done_callback(
            lambda _: freeze_startup_heap("action server")
        )

    return app


def serve_actions(port: int, workers: int) -> None:
    """Serve the action server (and NLG endpoint) on loopback."""
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    loader = AppLoader(factory=action_app)
    app = loader.load()
    app.prepare(
        host="127.0.0.1",
        port=port,
        workers=workers,
        single_process=workers == 1,
        access_log=False,
        motd=False,
    )
    if workers == 1:
        Sanic.serve_single(app)  # no worker manager: nothing else to signal or kill
    else:
        Sanic.serve(primary=app, app_loader=loader)


def serve_gateway(host: str, port: int) -> None:
    """Serve the gateway."""
    import uvicorn

    from connectors.gateway import create_gateway

    app = create_gateway(container().gateway_services())
    uvicorn.run(
        frozen_after_startup(app, "gateway"),
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
    )


def frozen_after_startup(app: ASGIApp, what: str) -> ASGIApp:
    """`app`, with the heap frozen (core/heap.py) once its lifespan start-up has completed."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)

        async def sent(message: Message) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                freeze_startup_heap(what)

        return await app(scope, receive, sent)

    return asgi


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the chosen process."""
    settings = container().settings
    parser = argparse.ArgumentParser(prog="python -m bot.serve", description=__doc__)
    processes = parser.add_subparsers(dest="process", required=True)
    actions = processes.add_parser("actions", help="the action server and NLG endpoint")
    actions.add_argument("--port", type=int, default=settings.action_port)
    actions.add_argument("--workers", type=int, default=1)
    gateway = processes.add_parser("gateway", help="the gateway")
    gateway.add_argument("--host", default=settings.gateway_host)
    gateway.add_argument("--port", type=int, default=settings.gateway_port)
    processes.add_parser("worker", help="the delivery worker (nudges and campaigns)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # httpx logs every request URL at INFO, and the Bot API's URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.process == "actions":
        serve_actions(args.port, args.workers)
    elif args.process == "worker":
        from bot.worker import run

        raise SystemExit(run(container()))
    else:
        serve_gateway(args.host, args.port)


if __name__ == "__main__":
    main()
