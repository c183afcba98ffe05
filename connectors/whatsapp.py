"""The WhatsApp channel (Cloud API): webhooks in, replies out, through the gateway.

`GET /whatsapp/webhook` answers Meta's verification handshake. `POST /whatsapp/webhook` is
checked against `X-Hub-Signature-256` before anything else (401 unsigned, 403 badly signed,
413 over the size cap), answered 200 at once and processed in the background, since Meta
retries slow webhooks. Each message id is handled once (`Inbox.first_delivery`), each
message opens the learner's 24-hour window (`Inbox.touch`), one user's messages are handled
in order, and statuses (sent, delivered, read, failed) go to the outbound log. Parts:
whatsapp_inbound.py (payloads), whatsapp_render.py (widgets), whatsapp_sender.py (sending,
the window, templates), whatsapp_api.py (the Graph client, pacing and retries).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.conversation import Conversation, Inbound
from connectors.guard import BodyTooLarge, read_body
from connectors.rasa_client import RasaUnavailable
from connectors.whatsapp_api import ErrorKind, GraphClient, RetryPolicy, classify
from connectors.whatsapp_inbound import IncomingMessage, StatusUpdate, parse, signature_status
from connectors.whatsapp_render import parse_more
from connectors.whatsapp_sender import CHANNEL, SendResult, WhatsAppSender
from learning.buttons import PREFIX as KEY_PREFIX
from learning.buttons import ButtonKeys
from learning.certificate_text import LOCAL_URL
from learning.deliveries import Deliveries
from learning.inbox import Inbox
from learning.models import utcnow
from learning.records import RecordStore
from learning.store import Clock

__all__ = ["SendResult", "WhatsAppChannel", "WhatsAppConfig", "parse_template_languages"]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/whatsapp/webhook"


def parse_template_languages(text: str) -> dict[str, str]:
    """ "en:en_US,hi:hi" → {"en": "en_US", "hi": "hi"} (Karmabot language → template code).

    Raises:
        ValueError: for an item that is not `language:code`.
    """
    pairs = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        language, _, code = item.partition(":")
        if not language.strip() or not code.strip():
            raise ValueError(f"template language {item!r} is not `language:code`")
        pairs[language.strip()] = code.strip()
    return pairs


@dataclass(frozen=True)
class WhatsAppConfig:
    """The channel's settings, as values (the composition root reads them).

    Attributes:
        access_token: `WHATSAPP_ACCESS_TOKEN`.
        phone_number_id: `WHATSAPP_PHONE_NUMBER_ID`.
        app_secret: `WHATSAPP_APP_SECRET`; signs every webhook.
        verify_token: `WHATSAPP_VERIFY_TOKEN`; the verification handshake.
        api_url: The Graph API's base URL, version included (`KARMABOT_WHATSAPP_API_URL`).
        rate: Messages per second at most (`KARMABOT_WHATSAPP_RATE`).
        template: The approved template outside the window (`KARMABOT_WHATSAPP_TEMPLATE`).
        template_languages: Karmabot language → template language code
            (`KARMABOT_WHATSAPP_TEMPLATE_LANGUAGES`, see `parse_template_languages`).
        max_body_bytes: Largest webhook body accepted (413 beyond).
        retry: How rate limits and outages are retried.
        timeout_s: Seconds for one Graph API call.
        window: How long after a user's message free-form replies are allowed.
        public_url: Where certificates are verified (their QR code and link).
    """

    access_token: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    api_url: str = "https://graph.facebook.com/v21.0"
    rate: float = 80.0
    template: str | None = None
    template_languages: Mapping[str, str] = field(
        default_factory=lambda: {"en": "en", "hi": "hi", "ta": "ta", "bn": "bn"}
    )
    max_body_bytes: int = 1024 * 1024
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float = 15.0
    window: timedelta = timedelta(hours=24)
    public_url: str = LOCAL_URL

    def __post_init__(self) -> None:
        required = ("access_token", "phone_number_id", "app_secret", "verify_token")
        missing = [name for name in required if not getattr(self, name)]
        if missing:
            raise ValueError(f"WhatsApp needs {', '.join(missing)}")
        if self.rate <= 0:
            raise ValueError("WhatsApp rate must be positive")


class WhatsAppChannel:
    """WhatsApp Cloud API for the gateway (`connectors.channel.Channel`).

    Args:
        config: The channel's settings.
        conversation: One turn for any channel.
        inbox: Message ids seen, and each user's last message (the window).
        deliveries: The outbound message log, with statuses.
        records: Learner records (certificates).
        button_keys: Long payloads and paged lists, by key.
        clock: The current time (injected in tests).
        sleep: How to wait between retries (tests).
    """

    name = CHANNEL

    def __init__(
        self,
        config: WhatsAppConfig,
        conversation: Conversation,
        *,
        inbox: Inbox,
        deliveries: Deliveries,
        records: RecordStore,
        button_keys: ButtonKeys,
        clock: Clock = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.conversation = conversation
        self._inbox, self._deliveries, self._keys = inbox, deliveries, button_keys
        self._clock = clock
        client = GraphClient(
            config.api_url, config.phone_number_id, config.access_token, rate=config.rate,
            retry=config.retry, timeout=config.timeout_s, sleep=sleep,
        )  # fmt: skip
        self.sender = WhatsAppSender(
            client, learners=conversation.learners, inbox=inbox, deliveries=deliveries,
            records=records, button_keys=button_keys, template=config.template,
            template_languages=config.template_languages, clock=clock, window=config.window,
            public_url=config.public_url,
        )  # fmt: skip
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def routes(self) -> list[BaseRoute]:
        """The webhook: GET for the handshake, POST for messages and statuses."""
        return [Route(WEBHOOK_PATH, self.webhook, methods=["GET", "POST"])]

    async def start(self) -> None:
        """Nothing to start: the Graph client connects on first use."""

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the webhooks being processed (up to `timeout` s), then close the client."""
        try:
            await asyncio.wait_for(self.drain(), timeout)
        except TimeoutError:
            logger.warning("WhatsApp: %d webhooks still running at stop", len(self._tasks))
            for task in self._tasks:
                task.cancel()
        await self.sender.client.aclose()

    async def drain(self) -> None:
        """Wait until every webhook received so far is processed."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def webhook(self, request: Request) -> Response:
        """The webhook endpoint (both methods)."""
        if request.method == "GET":
            return self._verify(request)
        try:
            body = await read_body(request, self.config.max_body_bytes)
        except BodyTooLarge:
            return PlainTextResponse("payload too large", 413)
        refused = signature_status(
            body, request.headers.get("x-hub-signature-256"), self.config.app_secret
        )
        if refused is not None:
            logger.warning("WhatsApp webhook refused (%d) from %s", refused, request.client)
            return PlainTextResponse("bad signature", refused)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return PlainTextResponse("body must be JSON", 400)
        task = asyncio.create_task(self._process(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return PlainTextResponse("ok")

    def _verify(self, request: Request) -> Response:
        query = request.query_params
        token = query.get("hub.verify_token", "").encode()
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token, self.config.verify_token.encode()
        ):
            return PlainTextResponse(query.get("hub.challenge", ""))
        return PlainTextResponse("verification failed", 403)

    async def _process(self, payload: Any) -> None:
        """Record the statuses, then handle the messages: in order per user, users at once."""
        try:
            messages, statuses = parse(payload, self.config.phone_number_id)
            if statuses:
                await asyncio.to_thread(self._record_statuses, statuses)
            by_user: dict[str, list[IncomingMessage]] = {}
            for message in messages:
                by_user.setdefault(message.wa_id, []).append(message)
            await asyncio.gather(*(self._user_turns(m) for m in by_user.values()))
        except Exception:  # a webhook must never take the gateway down
            logger.exception("WhatsApp webhook processing failed")

    async def _user_turns(self, messages: list[IncomingMessage]) -> None:
        lock = self._locks.get(messages[0].wa_id)
        if lock is None:
            lock = self._locks[messages[0].wa_id] = asyncio.Lock()
        async with lock:
            for message in messages:
                try:
                    await self._turn(message)
                except Exception:
                    logger.exception("WhatsApp message %s failed", message.message_id)

    async def _turn(self, message: IncomingMessage) -> None:
        """One message: once only; opens the window; answered by the bot."""
        inbound = Inbound(CHANNEL, message.wa_id, message.text, name=message.name)
        learner_id = await self.conversation.learner_id_for(inbound)
        sent_at = min(message.sent_at or self._clock(), self._clock())
        arrive = self._inbox.arrive  # once only, and the window opens: one transaction
        if not await asyncio.to_thread(arrive, CHANNEL, message.message_id, message.wa_id, sent_at):
            return
        if message.kind == "ignored":
            return
        text = message.text
        if message.kind == "reply" and text:
            more = parse_more(text)
            if more and await self.sender.send_page(message.wa_id, learner_id, *more):
                return
            if text.startswith(KEY_PREFIX):
                text = await asyncio.to_thread(self._keys.payload_for, text) or text
        try:
            replies = await self.conversation.handle(replace(inbound, text=text))
        except RasaUnavailable as exc:
            logger.error("%s", exc)
            learner = await asyncio.to_thread(self.conversation.learners.get, learner_id)
            replies = [self.conversation.render("utter_error", learner)] if learner else []
        if replies:
            await self.sender.reply(message.wa_id, learner_id, replies, sent_at)

    def _record_statuses(self, statuses: list[StatusUpdate]) -> None:
        for update in statuses:
            try:
                code = update.error_code
                self._deliveries.record_status(
                    CHANNEL, update.message_id, update.status, update.at or self._clock(),
                    error_code=None if code is None else str(code), error=update.error,
                    permanent=code is not None and classify(code, None) is ErrorKind.RECIPIENT,
                )  # fmt: skip
            except Exception:
                logger.exception("WhatsApp status for %s not recorded", update.message_id)
