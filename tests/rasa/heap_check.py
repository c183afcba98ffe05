"""Load the trained model as a Rasa worker does, with the heap patch, and report what the
garbage collector holds (run in `.venv-rasa` by tests/bot/test_rasa_heap.py; prints JSON)."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from types import SimpleNamespace
from typing import Any

from rasa.core import run
from rasa.core.utils import AvailableEndpoints

from bot.rasa_patches import _frozen_heap_after_model_load


async def check(model: str) -> dict[str, Any]:
    original = run.load_agent_on_start
    _frozen_heap_after_model_load()
    report: dict[str, Any] = {"wraps": run.load_agent_on_start.__wrapped__ is original}
    before = gc.get_freeze_count()
    app = SimpleNamespace(ctx=SimpleNamespace())
    # Rasa's listener, as serve_application registers it (the name is looked up at call time).
    agent = await run.load_agent_on_start(
        model, AvailableEndpoints(), None, app, asyncio.get_running_loop()
    )
    report |= {"before": before, "frozen": gc.get_freeze_count(), "agent": agent is app.ctx.agent}
    report["intent"] = (await agent.parse_message("hi"))["intent"]["name"]
    agent.load_model(model)  # a model server's update: the frozen objects are put back first
    report["after_reload"] = gc.get_freeze_count()
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(check(sys.argv[1]))))
