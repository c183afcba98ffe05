"""A small async client for Rasa's REST channel."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.messages import BotMessage, from_rasa


class RasaUnavailable(RuntimeError):
    """Rasa could not be reached or answered with an error."""


class RasaClient:
    """Send learner messages to Rasa's REST channel and collect the bot's replies.

    Args:
        base_url: Rasa server URL, e.g. `http://127.0.0.1:5005`.
        timeout: Seconds to wait for one turn.
    """

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self._url = base_url.rstrip("/") + "/webhooks/rest/webhook"
        self._status_url = base_url.rstrip("/") + "/"
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
            self._client = httpx.AsyncClient(timeout=self._timeout, limits=limits)
        return self._client

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        """Send one message and return the bot's replies, in order."""
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        try:
            reply = await self._http().post(self._url, json=body)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"Rasa is not reachable at {self._url}: {exc}") from exc
        if reply.status_code != 200:
            raise RasaUnavailable(f"Rasa answered {reply.status_code}: {reply.text[:200]}")
        return from_rasa(reply.json())

    async def ready(self) -> bool:
        """True when Rasa answers its status route."""
        try:
            reply = await self._http().get(self._status_url, timeout=2.0)
        except httpx.HTTPError:
            return False
        return reply.status_code == 200

    async def aclose(self) -> None:
        """Close pooled connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
