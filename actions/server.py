"""The action server app: Rasa SDK actions plus the NLG endpoint that renders all bot text.

`create_action_app(services)` is handed its services by the composition root; the process
entry point is `python -m bot.serve actions` (what `karmabot up` starts).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import pkgutil
from collections.abc import Iterator

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, Sanic, response

import actions
from actions.base import LearnerAction
from actions.nlg import render_nlg_request
from actions.services import ActionServices

logger = logging.getLogger(__name__)


def action_classes() -> Iterator[type[LearnerAction]]:
    """Every concrete action in the `actions` package (one module per feature)."""
    for module in pkgutil.iter_modules(actions.__path__):
        importlib.import_module(f"actions.{module.name}")
    pending: list[type[LearnerAction]] = list(LearnerAction.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not inspect.isabstract(cls):
            yield cls


def register_actions(executor: ActionExecutor, services: ActionServices) -> list[str]:
    """Register one instance of every action, built with `services`; returns their names."""
    names = []
    for cls in action_classes():
        executor.register_action(cls(services))
        names.append(cls.action_name)
    return sorted(names)


def create_action_app(services: ActionServices) -> Sanic:
    """Build the Sanic app: `/webhook` and `/actions` from the Rasa SDK, plus `/nlg`."""
    executor = ActionExecutor()
    register_actions(executor, services)
    app = create_app(executor, cors_origins=None)
    app.config.KEEP_ALIVE_TIMEOUT = 75

    @app.post("/nlg")
    async def nlg(request: Request) -> response.HTTPResponse:
        body = request.json
        if not isinstance(body, dict) or "response" not in body:
            return response.json({"error": "expected a Rasa NLG request"}, status=400)
        return response.json(render_nlg_request(body, services.catalog))

    @app.after_server_start
    async def load_knowledge(started: Sanic) -> None:
        # The embedding model takes seconds to load: do it in the background as soon as the
        # server is up, so the first learner's question does not wait for it. The future is
        # kept for whoever waits for start-up to be over (bot/serve.py).
        loop = asyncio.get_running_loop()
        started.ctx.knowledge_loaded = loop.run_in_executor(None, _load_knowledge, services)

    return app


def _load_knowledge(services: ActionServices) -> None:
    """Load the embedding model and open the store; a failure only leaves them for later."""
    try:
        base = services.knowledge()
        base.embedder.encode_query("warm-up")  # type: ignore[attr-defined]
        base.store  # type: ignore[attr-defined]  # noqa: B018
    except Exception:  # the first question will load it (and report the error) instead
        logger.exception("could not pre-load the knowledge base")
