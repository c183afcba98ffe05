"""Unprompted sends (nudges, campaigns) through each channel, with errors sorted for the queue.

Each adapter sends a learner's rendered messages and says what became of them: sent (with
the channel's message ids), retry (429, 5xx, network: with the wait the channel asked for),
or failed for good (the learner blocked the bot, the number is invalid). The worker paces the
calls itself, so these clients carry no rate limiter of their own.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from connectors.messages import BotMessage
from connectors.telegram_request import AiohttpRequest
from connectors.telegram_send import CertificateSource, TelegramSender
from connectors.whatsapp_sender import WhatsAppSender
from learning.buttons import ButtonKeys
from learning.certificate_text import LOCAL_URL
from learning.deliveries import Deliveries
from learning.repository import Learner
from learning.sends import Recipient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    """What became of one unprompted send.

    Attributes:
        status: sent, retry (a transient error) or failed (never try again).
        message_ids: The channel's ids of what it accepted.
        reason: A short reason for reports (blocked, invalid_recipient, rate_limited…).
        error: The channel's error text.
        retry_after: Seconds the channel asked us to wait, if it said.
    """

    status: Literal["sent", "retry", "failed"]
    message_ids: tuple[str, ...] = ()
    reason: str | None = None
    error: str | None = None
    retry_after: float | None = None


class Outbound(Protocol):
    """A channel as the worker sees it."""

    channel: str

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def send(
        self,
        recipient: Recipient,
        messages: Sequence[BotMessage],
        kind: str,
        campaign_id: str | None,
    ) -> Sent: ...


class TelegramOutbound:
    """Telegram through python-telegram-bot's own `Bot` on aiohttp (connectors/telegram_request.py),
    with a pool sized for `concurrency`.

    The message ids come back in `Sent`; the worker logs them with the send's result.
    """

    channel = "telegram"

    def __init__(
        self,
        token: str,
        api_url: str,
        file_url: str,
        *,
        buttons: ButtonKeys,
        deliveries: Deliveries,
        records: CertificateSource,
        concurrency: int = 16,
        public_url: str = LOCAL_URL,
    ) -> None:
        request = AiohttpRequest(connection_pool_size=concurrency + 2)
        self.bot = Bot(token, base_url=api_url, base_file_url=file_url, request=request)
        self._sender = TelegramSender(
            self.bot, buttons, deliveries, records, log_sent=False, public_url=public_url
        )

    async def start(self) -> None:
        """Connect (getMe)."""
        await self.bot.initialize()

    async def stop(self) -> None:
        """Close the HTTP clients."""
        await self.bot.shutdown()

    async def send(
        self,
        recipient: Recipient,
        messages: Sequence[BotMessage],
        kind: str,
        campaign_id: str | None,
    ) -> Sent:
        """Send to the learner's Telegram chat."""
        chat_id = recipient.channel_user_id or ""
        try:
            ids = await self._sender.deliver(chat_id, messages, recipient.id, kind, campaign_id)
        except RetryAfter as exc:
            return Sent("retry", reason="rate_limited", error=str(exc), retry_after=_seconds(exc))
        except Forbidden as exc:  # blocked by the user, or the account is gone
            return Sent("failed", reason="blocked", error=str(exc))
        except BadRequest as exc:
            text = str(exc).lower()
            gone = "chat not found" in text or "user not found" in text
            reason = "invalid_recipient" if gone else "rejected"
            return Sent("failed", reason=reason, error=str(exc))
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            return Sent("retry", reason="network", error=str(exc))
        except TelegramError as exc:
            return Sent("failed", reason="rejected", error=str(exc))
        return Sent("sent", tuple(ids))


class WhatsAppOutbound:
    """WhatsApp through the Graph API: free-form inside the 24-hour window, else the template."""

    channel = "whatsapp"

    def __init__(self, sender: WhatsAppSender) -> None:
        self._sender = sender

    async def start(self) -> None:
        """Nothing to start: the client connects on first use."""

    async def stop(self) -> None:
        """Close the HTTP client."""
        await self._sender.client.aclose()

    async def send(
        self,
        recipient: Recipient,
        messages: Sequence[BotMessage],
        kind: str,
        campaign_id: str | None,
    ) -> Sent:
        """Send to the learner's WhatsApp number."""
        learner = _learner(recipient)
        wa_id = recipient.channel_user_id or ""
        result = await self._sender.notify(
            wa_id, learner, messages, kind=kind, campaign_id=campaign_id
        )
        if result.status == "sent":
            return Sent("sent", result.message_ids)
        if result.status == "skipped" or result.permanent:
            reason = "invalid_recipient" if result.permanent else (result.reason or "skipped")
            return Sent("failed", reason=reason[:32], error=result.reason)
        code = result.error_code
        transient = code is None or code in (4, 80007, 130429, 131056) or (code or 0) >= 500
        status: Literal["retry", "failed"] = "retry" if transient else "failed"
        return Sent(status, result.message_ids, reason=f"graph_{code}", error=result.reason)


def _seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for (PTB is moving `retry_after` from seconds to a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def _learner(recipient: Recipient) -> Learner:
    from learning.models import utcnow

    return Learner(
        id=recipient.id, name=recipient.name, language=recipient.language,
        script=recipient.script, language_chosen=True,
        reminders_enabled=recipient.reminders_enabled, organisation=recipient.organisation,
        role=None, supervisor_id=None, consent_at=None, created_at=utcnow(),
    )  # fmt: skip
