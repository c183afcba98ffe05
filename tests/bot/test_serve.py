"""bot/serve.py: the gateway's heap is frozen once its start-up has completed, not before."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import serve


def test_the_gateway_heap_is_frozen_after_lifespan_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen: list[str] = []
    sent: list[str] = []
    monkeypatch.setattr(serve, "freeze_startup_heap", frozen.append)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            assert not frozen  # start-up (the app's own lifespan) is not over yet
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
        else:
            await send({"type": "http.response.start", "status": 204, "headers": []})

    async def lifespan() -> None:
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def receive() -> dict[str, Any]:
            return next(messages)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message["type"])

        wrapped = serve.frozen_after_startup(app, "gateway")
        await wrapped({"type": "http"}, receive, send)
        assert frozen == []  # a request never freezes
        await wrapped({"type": "lifespan"}, receive, send)

    asyncio.run(lifespan())
    assert frozen == ["gateway"]
    assert sent == [
        "http.response.start",
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
