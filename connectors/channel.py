"""What a messaging channel (Telegram, WhatsApp) offers the gateway.

A channel translates its platform's updates into `Inbound` turns for `Conversation.handle`, and
the `BotMessage` replies into the platform's widgets. The gateway mounts its routes (webhooks)
and runs `start`/`stop` in its lifespan (a Telegram poller, HTTP clients).
"""

from __future__ import annotations

from typing import Protocol

from starlette.routing import BaseRoute


class Channel(Protocol):
    """A messaging channel served by the gateway."""

    name: str

    def routes(self) -> list[BaseRoute]:
        """The gateway routes the channel needs (its webhook), possibly none (polling)."""
        ...

    async def start(self) -> None:
        """Start background work (e.g. polling); called once the gateway is up."""
        ...

    async def stop(self) -> None:
        """Stop background work and close clients; called when the gateway stops."""
        ...
