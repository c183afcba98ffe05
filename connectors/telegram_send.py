"""Sending to Telegram: bot messages as HTML text, inline keyboards and PDF certificates.

Replies to turns go through it, and so can nudges and campaigns (the worker): every message
Telegram accepts is recorded with its message id (`Deliveries.record_sent`). Requests pass
PTB's `AIORateLimiter`, which paces them and retries a 429 after its `retry_after`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any, Protocol

from telegram import Bot, InputFile
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError

from connectors.messages import BotMessage
from connectors.telegram_render import NO_TEXT, escape, keyboard, split_text
from learning.buttons import ButtonKeys
from learning.certificate_text import LOCAL_URL
from learning.certificates import Certificate
from learning.deliveries import Deliveries

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
#: Telegram shows "typing…" for 5 seconds; a long turn renews it this often.
TYPING_REFRESH = 4.5


class CertificateSource(Protocol):
    """Where certificates are found by code (`learning.records.RecordStore`)."""

    def certificate(self, code: str) -> Certificate | None: ...


class TelegramSender:
    """Renders and sends bot messages to Telegram chats.

    Args:
        bot: PTB's bot (initialized by the channel before anything is sent).
        buttons: Short keys for payloads longer than `callback_data` allows.
        deliveries: Records every message sent.
        records: Finds certificates by code.
        typing_delay: Seconds a turn runs before "typing…" is shown.
        log_sent: Record each message sent here; off when the caller records them itself
            (the worker, in the same transaction as the send's result).
        public_url: Where certificates are verified (their QR code and link).
    """

    def __init__(
        self,
        bot: Bot,
        buttons: ButtonKeys,
        deliveries: Deliveries,
        records: CertificateSource,
        typing_delay: float = 0.5,
        log_sent: bool = True,
        public_url: str = LOCAL_URL,
    ) -> None:
        self.bot = bot
        self._buttons = buttons
        self._deliveries = deliveries
        self._records = records
        self._typing_delay = typing_delay
        self._log_sent = log_sent
        self._public_url = public_url

    async def deliver(
        self,
        chat_id: int | str,
        messages: Sequence[BotMessage],
        learner_id: str | None,
        kind: str = "reply",
        campaign_id: str | None = None,
    ) -> list[str]:
        """Send bot messages to a chat and record each one; returns Telegram's message ids.

        A text over 4,096 characters goes as several messages (the keyboard on the last), and
        a certificate as a PDF document after its message.

        Raises:
            telegram.error.TelegramError: when Telegram refuses a message (after retries).
        """
        sent: list[str] = []
        for message in messages:
            markup = await keyboard(message.buttons, self._key_for)
            parts = split_text(message.text) or ([NO_TEXT] if markup else [])
            for index, part in enumerate(parts):
                reply = await self.bot.send_message(
                    chat_id,
                    escape(part),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if index == len(parts) - 1 else None,
                )
                sent.append(await self._record(reply.message_id, learner_id, kind, campaign_id))
            document = message.custom.get("document")
            if isinstance(document, dict) and document.get("kind") == "certificate":
                message_id = await self._send_certificate(chat_id, document)
                if message_id is not None:
                    sent.append(await self._record(message_id, learner_id, "certificate"))
        return sent

    @asynccontextmanager
    async def typing(self, chat_id: int | str) -> AsyncIterator[None]:
        """Show "typing…" in the chat while the block runs, once it ran for `typing_delay`.

        Quick turns (most button taps) show none, which saves a request per turn.
        """
        task = asyncio.create_task(self._keep_typing(chat_id))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _keep_typing(self, chat_id: int | str) -> None:
        await asyncio.sleep(self._typing_delay)
        while True:
            try:
                await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:
                logger.info("could not show typing in Telegram: %s", exc)
                return
            await asyncio.sleep(TYPING_REFRESH)

    async def _key_for(self, payload: str) -> str:
        return await asyncio.to_thread(self._buttons.key_for, payload)

    async def _record(
        self, message_id: int, learner_id: str | None, kind: str, campaign_id: str | None = None
    ) -> str:
        if not self._log_sent:
            return str(message_id)
        await asyncio.to_thread(
            self._deliveries.record_sent, CHANNEL, str(message_id), learner_id, kind, campaign_id
        )
        return str(message_id)

    async def _send_certificate(self, chat_id: int | str, document: dict[str, Any]) -> int | None:
        """Send a certificate as a PDF document; None when there is no such certificate."""
        from learning.certificate import render_pdf  # fpdf loads only when a course is done

        code = str(document.get("code"))
        certificate = await asyncio.to_thread(self._records.certificate, code)
        if certificate is None:
            logger.warning("no certificate %r to send to Telegram", code)
            return None
        pdf = await asyncio.to_thread(render_pdf, certificate, self._public_url)
        filename = str(document.get("filename") or f"karmabot-certificate-{certificate.code}.pdf")
        reply = await self.bot.send_document(chat_id, InputFile(pdf, filename=filename))
        return reply.message_id
