"""The Telegram channel: python-telegram-bot against the Bot API, by webhook or by polling.

- **Webhook** (production): `POST /telegram/webhook` checks `X-Telegram-Bot-Api-Secret-Token`
  with `hmac.compare_digest` (403 otherwise), caps the body (413), queues the update and
  answers 200 at once. `karmabot telegram set-webhook URL` registers it (`set_webhook`); it is
  never registered at start-up.
- **Polling** (a laptop with only a token): `start` runs PTB's getUpdates loop.

What each kind of update gets is in `connectors/telegram_updates.py`; how messages look
(HTML-escaped text split under 4,096 characters, inline keyboards, long payloads as stored
keys) in `connectors/telegram_render.py`; sending, rate limits and 429 retries in
`connectors/telegram_send.py`; the PTB application in `connectors/telegram_app.py`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import BotCommandScopeAllPrivateChats, Update
from telegram.error import InvalidToken, TelegramError

from connectors.conversation import Conversation
from connectors.guard import BodyTooLarge, read_body
from connectors.telegram_app import ALLOWED_UPDATES, TelegramConfig, build_application
from connectors.telegram_render import commands_for
from connectors.telegram_send import CHANNEL, CertificateSource, TelegramSender
from connectors.telegram_updates import TelegramUpdates
from learning.buttons import ButtonKeys
from learning.deliveries import Deliveries
from learning.inbox import Inbox
from learning.invites import Invites

__all__ = ["TelegramChannel", "TelegramConfig"]

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Seconds between attempts to reach Telegram when it was unreachable at start-up.
RECONNECT_DELAYS = (5.0, 15.0, 60.0)


class TelegramChannel:
    """The Telegram channel (`connectors.channel.Channel`).

    Nothing touches the network before `start` (or `set_webhook`, `register_commands`).
    `sender.deliver` sends bot messages to a chat outside a turn (nudges, campaigns).

    Args:
        config: Token, mode, webhook secret, API address and limits.
        conversation: Runs turns and renders catalog responses.
        inbox: Remembers processed update ids.
        buttons: Short keys for payloads longer than `callback_data` allows.
        invites: Redeems `/start <code>` invite codes.
        deliveries: Records every message sent.
        records: Finds certificates by code (`RecordStore`).
    """

    name = CHANNEL

    def __init__(
        self,
        config: TelegramConfig,
        *,
        conversation: Conversation,
        inbox: Inbox,
        buttons: ButtonKeys,
        invites: Invites,
        deliveries: Deliveries,
        records: CertificateSource,
    ) -> None:
        self.config = config
        self._catalog = conversation.catalog
        self.app = build_application(config, self._on_update)
        self.sender = TelegramSender(
            self.app.bot, buttons, deliveries, records, typing_delay=config.typing_delay,
            public_url=config.public_url,
        )  # fmt: skip
        self.updates = TelegramUpdates(self.sender, conversation, inbox, buttons, invites)
        self._retry: asyncio.Task[None] | None = None

    def routes(self) -> list[BaseRoute]:
        """The webhook route in webhook mode; none when polling."""
        if self.config.mode != "webhook":
            return []
        return [Route(self.config.webhook_path, self.webhook, methods=["POST"])]

    async def start(self) -> None:
        """Connect (getMe), register the commands and, in polling mode, start polling.

        When Telegram cannot be reached, the gateway starts anyway and this keeps trying in
        the background; a rejected token is logged and the channel stays off.
        """
        if not await self._connect():
            self._retry = asyncio.create_task(self._reconnect(), name="telegram-reconnect")

    async def stop(self) -> None:
        """Stop polling, finish the updates in progress and close the HTTP clients."""
        if self._retry is not None:
            self._retry.cancel()
            with suppress(asyncio.CancelledError):
                await self._retry
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.app.bot.shutdown()  # its HTTP clients, if it never got as far as getMe

    @property
    def live(self) -> bool:
        """Whether the channel is connected and processing updates."""
        return self.app.running

    async def _connect(self) -> bool:
        """One attempt to go live; False when it should be tried again later."""
        try:
            await self.app.initialize()
            if not self.app.running:
                await self.app.start()
            updater = self.app.updater
            if updater is not None and not updater.running:
                await updater.start_polling(
                    timeout=self.config.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
        except InvalidToken:  # its message holds the token: never log it
            logger.error("Telegram rejected the bot token; the Telegram channel is off")
            return True
        except TelegramError as exc:
            logger.warning("Telegram is not reachable (%s); will retry", exc)
            return False
        try:
            await self.register_commands()
        except TelegramError as exc:
            logger.warning("could not register the Telegram commands: %s", exc)
        logger.info("Telegram channel live (%s) as @%s", self.config.mode, self.app.bot.username)
        return True

    async def _reconnect(self) -> None:
        attempt = 0
        while True:
            await asyncio.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
            if await self._connect():
                return
            attempt += 1

    @asynccontextmanager
    async def _bot_session(self) -> AsyncIterator[None]:
        """The bot ready for requests: as it is when running, else for this block only."""
        if self.app.running:
            yield
            return
        async with self.app.bot:
            yield

    async def set_webhook(self, url: str) -> None:
        """Register `url` as the webhook, with the secret token (`karmabot telegram set-webhook`).

        Raises:
            ValueError: if no webhook secret is configured.
            telegram.error.TelegramError: if Telegram refuses (e.g. not an https URL).
        """
        if not self.config.webhook_secret:
            raise ValueError("set a webhook secret before registering a webhook")
        async with self._bot_session():
            await self.app.bot.set_webhook(
                url, secret_token=self.config.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )

    async def register_commands(self) -> None:
        """Set the command menu for private chats, in every catalog language."""
        default = self.config.default_language
        scope = BotCommandScopeAllPrivateChats()
        async with self._bot_session():
            await self.app.bot.set_my_commands(commands_for(default), scope=scope)
            for language in self._catalog.languages():
                if language != default and len(language) == 2:
                    await self.app.bot.set_my_commands(
                        commands_for(language), scope=scope, language_code=language
                    )

    async def webhook(self, request: Request) -> Response:
        """`POST` from Telegram: authenticate, cap, parse and queue one update."""
        expected = (self.config.webhook_secret or "").encode()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return Response("forbidden", status_code=403)
        try:
            body = await read_body(request, self.config.max_body)
        except BodyTooLarge:
            return Response("too large", status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # malformed JSON, or an update PTB cannot read
            logger.warning("unreadable Telegram update: %r", exc)
            return Response("bad update", status_code=400)
        if not self.app.running:
            return Response("not ready", status_code=503)  # Telegram retries later
        await self.app.update_queue.put(update)
        return Response("ok")

    async def _on_update(self, update: Update, _: Any) -> None:
        await self.updates.handle(update)
