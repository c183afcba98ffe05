"""Building python-telegram-bot's `Application` for the Telegram channel.

The channel is handed a `TelegramConfig` (values the composition root read from settings); this
module turns it into a PTB application: the Bot API address (a local fake in tests), the
outbound rate limiter, and an update processor that keeps each chat's updates in order while
different chats are served at the same time.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    TypeHandler,
)

from connectors.telegram_request import AiohttpRequest
from learning.certificate_text import LOCAL_URL

#: The update kinds the bot asks Telegram for: everything else (edited messages, channel
#: posts, reactions, …) is never sent to it.
ALLOWED_UPDATES = ["message", "callback_query"]
#: What Telegram accepts as a webhook secret token.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class TelegramConfig:
    """How to reach the Bot API and serve updates (built from settings by the composition root).

    Attributes:
        token: The bot token from BotFather.
        mode: "polling" (getUpdates, for a laptop) or "webhook" (production).
        webhook_secret: Telegram sends it in `X-Telegram-Bot-Api-Secret-Token`; required for
            webhook mode (1-256 characters of A-Z, a-z, 0-9, `_` and `-`).
        api_url: The Bot API base URL; the token is appended (PTB's `base_url`).
        rate: Outbound messages per second, over all chats.
        webhook_path: Where the gateway serves the webhook.
        max_body: Largest webhook body accepted, in bytes (413 beyond).
        typing_delay: Seconds a turn runs before "typing…" is shown (quick turns show none).
        public_url: Where certificates are verified (their QR code and link).
        max_retries: How often a request refused with 429 is retried after `retry_after`.
        max_concurrent: Updates processed at the same time (one at a time per chat).
        poll_timeout: Long-polling timeout of getUpdates, in seconds.
        default_language: The language of the default command menu.
    """

    token: str = field(repr=False)
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: str | None = field(default=None, repr=False)
    api_url: str = "https://api.telegram.org/bot"
    rate: float = 30.0
    webhook_path: str = "/telegram/webhook"
    max_body: int = 1_048_576
    typing_delay: float = 0.5
    #: The public address certificates' QR codes and links point to (`KARMABOT_PUBLIC_URL`).
    public_url: str = LOCAL_URL
    max_retries: int = 3
    max_concurrent: int = 64
    poll_timeout: int = 10
    default_language: str = "en"

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("the Telegram channel needs a bot token")
        if self.mode not in ("polling", "webhook"):
            raise ValueError(f"Telegram mode must be polling or webhook, not {self.mode!r}")
        if self.webhook_secret is not None and not SECRET_PATTERN.fullmatch(self.webhook_secret):
            raise ValueError("the webhook secret must be 1-256 characters of A-Z a-z 0-9 _ -")
        if self.mode == "webhook" and not self.webhook_secret:
            raise ValueError("Telegram webhook mode needs a webhook secret")
        if self.rate <= 0 or self.max_body <= 0 or self.max_concurrent < 1:
            raise ValueError("rate, max_body and max_concurrent must be positive")

    @property
    def file_url(self) -> str:
        """The Bot API file base URL (PTB's `base_file_url`): `…/file/bot` beside `…/bot`."""
        base = self.api_url.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base


def chat_key(update: object) -> int | None:
    """The chat (or, failing that, the user) an update belongs to."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Processes one chat's updates one after another, and different chats concurrently.

    A learner who taps two buttons quickly gets two turns in the order tapped, while a slow
    turn (a question to the knowledge base) never holds up other learners.

    Args:
        max_concurrent: Updates processed at the same time, over all chats.
    """

    def __init__(self, max_concurrent: int) -> None:
        super().__init__(max_concurrent)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await `coroutine` once earlier updates of the same chat are done."""
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock, waiting = self._chats.get(key, (asyncio.Lock(), 0))
        self._chats[key] = (lock, waiting + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, waiting = self._chats[key]
            if waiting <= 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def build_application(
    config: TelegramConfig,
    on_update: Callable[[Update, Any], Coroutine[Any, Any, None]],
) -> TelegramApp:
    """A PTB application for `config` that hands every update to `on_update`.

    No request is made here: the bot connects in `Application.initialize`.
    """
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .rate_limiter(AIORateLimiter(overall_max_rate=config.rate, max_retries=config.max_retries))
        .request(AiohttpRequest(connection_pool_size=config.max_concurrent + 4))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .concurrent_updates(ChatOrderedProcessor(config.max_concurrent))
        .job_queue(None)
    )
    if config.mode == "webhook":
        builder = builder.updater(None)
    app: TelegramApp = builder.build()
    app.add_handler(TypeHandler(Update, on_update))
    return app
