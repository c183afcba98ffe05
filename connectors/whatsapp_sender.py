"""Sending to WhatsApp learners: replies, certificates, and templates outside the 24-hour window.

WhatsApp accepts free-form messages only within 24 hours of the learner's last message (the
customer-service window); outside it, only an approved template. `notify` (nudges and
campaigns) checks the window itself, and replies check it against the time of the message they
answer, since Meta may deliver a webhook late. Every message WhatsApp accepts is recorded with
its wamid (`Deliveries.record_sent`); every failure is recorded too, under a made-up id, so a
recipient error (an invalid number, a blocked bot) marks the learner undeliverable.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from connectors.messages import NAME_FALLBACK, BotMessage
from connectors.whatsapp_api import GraphClient, GraphError
from connectors.whatsapp_render import (
    ROWS_MAX,
    Body,
    CertificateDocument,
    Outgoing,
    list_page,
    needs_keys,
    render,
    stored_list,
    template_body,
)
from learning.buttons import ButtonKeys
from learning.certificate_text import LOCAL_URL
from learning.deliveries import Deliveries
from learning.inbox import Inbox
from learning.records import RecordStore
from learning.repository import Learner, LearnerRepository
from learning.store import Clock

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
#: The WhatsApp error for a free-form message outside the 24-hour window.
OUTSIDE_WINDOW = 131047
NO_TEMPLATE = (
    "WhatsApp: learner %s is outside the 24-hour window and no template is configured "
    "(KARMABOT_WHATSAPP_TEMPLATE); nothing sent"
)


@dataclass(frozen=True)
class SendResult:
    """What became of a send.

    Attributes:
        status: "sent" (all accepted), "failed" (stopped at an error) or "skipped" (nothing
            was sent: no template configured, or the learner is undeliverable).
        message_ids: The wamids WhatsApp accepted, in order.
        error_code: The Graph error code of the failure, if any.
        reason: Why it failed or was skipped.
        permanent: Whether the learner cannot be reached on WhatsApp (never retry).
    """

    status: Literal["sent", "failed", "skipped"]
    message_ids: tuple[str, ...] = ()
    error_code: int | None = None
    reason: str | None = None
    permanent: bool = False


def template_params(learner: Learner, messages: Sequence[BotMessage]) -> list[str]:
    """The default template's parameters: {{1}} the learner's name, {{2}} the first line."""
    first = next((m.text.strip().splitlines()[0] for m in messages if m.text.strip()), "")
    return [learner.name or NAME_FALLBACK, first or "…"]


class WhatsAppSender:
    """Delivers bot messages to WhatsApp users through the Graph API.

    Args:
        client: The Graph API client.
        learners: The learner store (names and languages for templates).
        inbox: When each WhatsApp user last wrote (the window).
        deliveries: The outbound message log.
        records: Learner records (certificates).
        button_keys: Stores long payloads and paged lists.
        template: The approved template for outside the window; None sends nothing there.
        template_languages: Karmabot language → the template's language code.
        clock: The current time.
        window: How long free-form messages are allowed after the user's last message.
    """

    def __init__(
        self,
        client: GraphClient,
        *,
        learners: LearnerRepository,
        inbox: Inbox,
        deliveries: Deliveries,
        records: RecordStore,
        button_keys: ButtonKeys,
        template: str | None,
        template_languages: Mapping[str, str],
        clock: Clock,
        window: timedelta = timedelta(hours=24),
        public_url: str = LOCAL_URL,
    ) -> None:
        self.client = client
        self._public_url = public_url
        self._learners = learners
        self._inbox, self._deliveries, self._records = inbox, deliveries, records
        self._keys = button_keys
        self._template, self._languages = template, dict(template_languages)
        self._clock, self._window = clock, window

    def in_window(self, last_inbound: datetime | None) -> bool:
        """Whether a user who last wrote at `last_inbound` may get free-form messages now."""
        return last_inbound is not None and self._clock() - last_inbound < self._window

    def template_language(self, language: str) -> str:
        """The template language code for a Karmabot language (hi-Latn → hi → its code)."""
        base = language.split("-")[0]
        return self._languages.get(language) or self._languages.get(base) or base

    async def reply(
        self, wa_id: str, learner_id: str, messages: Sequence[BotMessage], answered_at: datetime
    ) -> SendResult:
        """Answer a message the user sent at `answered_at` (the template if that was too long
        ago: Meta retries webhooks for days)."""
        if self.in_window(answered_at):
            return await self.deliver(wa_id, learner_id, messages)
        return await self._template_instead(wa_id, learner_id, messages)

    async def notify(
        self, wa_id: str, learner: Learner, messages: Sequence[BotMessage],
        *, kind: str = "nudge", campaign_id: str | None = None,
    ) -> SendResult:  # fmt: skip
        """Send unprompted messages (nudges, campaigns): free-form inside the window, else the
        template; nothing to a learner WhatsApp has refused permanently since."""
        last = await asyncio.to_thread(self._inbox.last_inbound, CHANNEL, wa_id)
        if self.in_window(last):
            return await self.deliver(wa_id, learner.id, messages, kind, campaign_id)
        undeliverable = self._deliveries.undeliverable
        gone = await asyncio.to_thread(undeliverable, CHANNEL, learner.id, last)
        if gone:
            return SendResult("skipped", reason="undeliverable", permanent=True)
        params = template_params(learner, messages)
        return await self.send_template(wa_id, learner, params, campaign_id=campaign_id)

    async def send_template(
        self, wa_id: str, learner: Learner, params: Sequence[str],
        *, campaign_id: str | None = None,
    ) -> SendResult:  # fmt: skip
        """Send the approved template in the learner's language with these body parameters."""
        if not self._template:
            logger.warning(NO_TEMPLATE, learner.id)
            return SendResult("skipped", reason="no template configured")
        language = self.template_language(learner.language)
        body = template_body(self._template, language, params)
        return await self._send_all(wa_id, learner.id, [body], "template", campaign_id)

    async def deliver(
        self, wa_id: str, learner_id: str, messages: Sequence[BotMessage],
        kind: str = "reply", campaign_id: str | None = None,
    ) -> SendResult:  # fmt: skip
        """Send bot messages free-form (the caller knows the window is open)."""
        outgoing: list[Outgoing] = []
        for message in messages:
            if needs_keys(message):
                outgoing += await asyncio.to_thread(render, message, self._keys.key_for)
            else:
                outgoing += render(message, self._keys.key_for)
        return await self._send_all(wa_id, learner_id, outgoing, kind, campaign_id)

    async def send_page(self, wa_id: str, learner_id: str, page: int, key: str) -> bool:
        """Show another page of a paged list; False when `key` names no stored list."""
        stored = await asyncio.to_thread(self._keys.payload_for, key)
        found = stored_list(stored) if stored else None
        if found is None or page * (ROWS_MAX - 1) >= len(found[1]):
            return False
        body, buttons = found
        widget = await asyncio.to_thread(list_page, body, buttons, self._keys.key_for, page, key)
        await self._send_all(wa_id, learner_id, [widget], "reply", None)
        return True

    async def _document(self, document: CertificateDocument) -> Body | None:
        from learning.certificate import render_pdf  # fpdf loads only when a certificate goes

        certificate = await asyncio.to_thread(self._records.certificate, document.code)
        if certificate is None:
            logger.error("WhatsApp: no certificate has the code %s", document.code)
            return None
        pdf = await asyncio.to_thread(render_pdf, certificate, self._public_url)
        media = await self.client.upload(pdf, document.filename, "application/pdf")
        return {"type": "document", "document": {"id": media, "filename": document.filename}}

    async def _send_all(
        self, wa_id: str, learner_id: str, outgoing: Sequence[Outgoing], kind: str,
        campaign_id: str | None,
    ) -> SendResult:  # fmt: skip
        """Send in order; stop at an error, and fall back to the template when WhatsApp says
        the window is closed after all."""
        sent: list[str] = []
        for item in outgoing:
            item_kind = _kind(item, kind)
            try:
                body = await self._document(item) if isinstance(item, CertificateDocument) else item
                if body is None:
                    continue
                message_id = await self.client.send(wa_id, body)
            except GraphError as error:
                await self._record_failure(learner_id, error, item_kind, campaign_id)
                result = SendResult("failed", tuple(sent), error.code, str(error), error.permanent)
                if error.code == OUTSIDE_WINDOW and item_kind != "template":
                    messages = [BotMessage(text=t) for t in map(_text_of, outgoing) if t]
                    return await self._template_instead(
                        wa_id, learner_id, messages, result, campaign_id
                    )
                return result
            await asyncio.to_thread(
                partial(self._deliveries.record_sent, CHANNEL, message_id, learner_id, item_kind,
                        campaign_id)
            )  # fmt: skip
            sent.append(message_id)
        return SendResult("sent", tuple(sent))

    async def _template_instead(
        self, wa_id: str, learner_id: str, messages: Sequence[BotMessage],
        failed: SendResult | None = None, campaign_id: str | None = None,
    ) -> SendResult:  # fmt: skip
        """The template in place of free-form messages the window no longer allows."""
        learner = await asyncio.to_thread(self._learners.get, learner_id)
        if learner is None:
            return failed or SendResult("skipped", reason=f"no learner {learner_id}")
        if failed is not None and not self._template:
            return failed
        params = template_params(learner, messages)
        return await self.send_template(wa_id, learner, params, campaign_id=campaign_id)

    async def _record_failure(
        self, learner_id: str, error: GraphError, kind: str, campaign_id: str | None
    ) -> None:
        """A failed send, under a made-up id (WhatsApp gave it none)."""
        logger.warning("WhatsApp send failed (%s, %s): %s", error.code, error.kind, error)
        message_id = f"failed:{uuid.uuid4().hex}"
        code = str(error.code) if error.code is not None else None

        def record() -> None:
            self._deliveries.record_status(
                CHANNEL, message_id, "failed", self._clock(),
                error_code=code, error=str(error)[:500], permanent=error.permanent,
            )  # fmt: skip
            self._deliveries.record_sent(CHANNEL, message_id, learner_id, kind, campaign_id)

        await asyncio.to_thread(record)


def _kind(item: Outgoing, kind: str) -> str:
    """What the outbound log calls a message: document, template, or the caller's kind."""
    if isinstance(item, CertificateDocument):
        return "document"
    return "template" if item.get("type") == "template" else kind


def _text_of(item: Outgoing) -> str:
    if isinstance(item, CertificateDocument):
        return ""
    content = item.get("text") or item.get("interactive", {}).get("body") or {}
    return str(content.get("text") or content.get("body") or "")
