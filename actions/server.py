"""The action server: Rasa SDK actions plus the NLG endpoint that renders all bot text.

Run with `python -m actions.server` (or `karmabot up`, which starts it for you).
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, Sanic, response
from sanic.worker.loader import AppLoader

from bot.i18n import get_catalog
from bot.nlg import render_nlg_request
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def create_action_app() -> Sanic:
    """Build the Sanic app: `/webhook` and `/actions` from the Rasa SDK, plus `/nlg`."""
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    app.config.KEEP_ALIVE_TIMEOUT = 75

    @app.post("/nlg")
    async def nlg(request: Request) -> response.HTTPResponse:
        body = request.json
        if not isinstance(body, dict) or "response" not in body:
            return response.json({"error": "expected a Rasa NLG request"}, status=400)
        return response.json(render_nlg_request(body))

    @app.before_server_start
    async def warm_up(_: Sanic) -> None:
        get_catalog()  # parse and validate every locale once, before the first request

    @app.after_server_start
    async def load_knowledge(_: Sanic) -> None:
        # The embedding model takes seconds to load: do it in the background as soon as the
        # server is up, so the first learner's question does not wait for it.
        asyncio.get_running_loop().run_in_executor(None, _load_knowledge)

    return app


def _load_knowledge() -> None:
    """Load the embedding model and open the store; a failure only leaves them for later."""
    from actions import services

    try:
        base = services.knowledge()
        base.embedder.encode_query("warm-up")  # type: ignore[attr-defined]
        base.store  # type: ignore[attr-defined]  # noqa: B018
    except Exception:  # the first question will load it (and report the error) instead
        logger.exception("could not pre-load the knowledge base")


def main(argv: list[str] | None = None) -> None:
    """Serve the action server (and NLG endpoint) on loopback."""
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.action_port)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    loader = AppLoader(factory=create_action_app)
    app = loader.load()
    app.prepare(
        host=args.host,
        port=args.port,
        workers=args.workers,
        single_process=args.workers == 1,
        access_log=False,
        motd=False,
    )
    if args.workers == 1:
        Sanic.serve_single(app)  # no worker manager: nothing else to signal or kill
    else:
        Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
