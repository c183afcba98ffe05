"""WhatsApp webhooks in: the signature check, and the payload as messages and statuses.

Meta signs every POST with `X-Hub-Signature-256`: "sha256=" and the hex HMAC-SHA256 of the raw
body, keyed with the app secret. A webhook carries `entry[].changes[].value` objects; those
for the `messages` field hold `messages` (with the senders' `contacts`) and `statuses`. A
malformed item is logged and skipped; the rest of the payload still counts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

logger = logging.getLogger(__name__)

#: Message types that carry nothing for the bot and get no answer (a 👍 reaction, a number
#: change notice, the "opened the chat" event).
IGNORED_TYPES = frozenset({"reaction", "system", "request_welcome", "ephemeral"})
STATUSES = frozenset({"sent", "delivered", "read", "failed"})


def signature_status(body: bytes, header: str | None, secret: str) -> int | None:
    """None when `header` signs `body` with `secret`; else the HTTP status to answer.

    Returns:
        401 when the signature is missing, 403 when it is wrong.
    """
    if not header:
        return 401
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = header.strip().encode("utf-8", "replace")
    return None if hmac.compare_digest(expected.encode(), given) else 403


MessageKind = Literal["text", "reply", "unsupported", "ignored"]


@dataclass(frozen=True)
class IncomingMessage:
    """A message a WhatsApp user sent.

    Attributes:
        wa_id: The sender's WhatsApp id (E.164 digits without "+").
        message_id: Its wamid (each is handled once).
        sent_at: When the user sent it (the 24-hour window starts there).
        name: The sender's profile name, if given.
        kind: "text" (typed), "reply" (a button or list row tapped: `text` is its id),
            "unsupported" (media, location, …: `text` is None) or "ignored".
        text: The text or the reply id.
    """

    wa_id: str
    message_id: str
    sent_at: datetime | None
    name: str | None
    kind: MessageKind
    text: str | None = None


@dataclass(frozen=True)
class StatusUpdate:
    """What WhatsApp reported about a message we sent."""

    message_id: str
    status: Literal["sent", "delivered", "read", "failed"]
    at: datetime | None
    recipient: str | None
    error_code: int | None = None
    error: str | None = None


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _content(item: dict[str, Any]) -> tuple[MessageKind, str | None]:
    """What a message says: its kind, and the text or the id of the button tapped."""
    kind = item.get("type")
    if kind == "text":
        return "text", str(item["text"]["body"])
    if kind == "interactive":
        interactive = item["interactive"]
        tapped = interactive.get(interactive.get("type"))
        if interactive.get("type") in ("button_reply", "list_reply") and tapped:
            return "reply", str(tapped["id"])
    if kind == "button":  # a template's quick reply
        return "reply", str(item["button"].get("payload") or item["button"]["text"])
    return ("ignored" if kind in IGNORED_TYPES else "unsupported"), None


def _message(item: dict[str, Any], names: dict[str, str]) -> IncomingMessage:
    wa_id = str(item["from"])
    kind, text = _content(item)
    return IncomingMessage(
        wa_id, str(item["id"]), _time(item.get("timestamp")), names.get(wa_id), kind, text
    )


def _status(item: dict[str, Any]) -> StatusUpdate | None:
    status = item.get("status")
    if status not in STATUSES:
        return None  # "deleted", "warning", …: nothing to record
    errors = item.get("errors") or [{}]
    error = errors[0] if isinstance(errors[0], dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    details = (error.get("error_data") or {}).get("details")
    text = " — ".join(str(x) for x in (error.get("title") or error.get("message"), details) if x)
    return StatusUpdate(
        str(item["id"]), status, _time(item.get("timestamp")), item.get("recipient_id"),
        code, text or None,
    )  # fmt: skip


def _values(payload: Any, phone_number_id: str) -> Iterator[dict[str, Any]]:
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            number = (value.get("metadata") or {}).get("phone_number_id")
            if number is not None and str(number) != phone_number_id:
                logger.info("WhatsApp webhook for another number (%s) skipped", number)
                continue
            yield value


def parse(payload: Any, phone_number_id: str) -> tuple[list[IncomingMessage], list[StatusUpdate]]:
    """The messages and statuses in a webhook payload for our phone number, in order."""
    messages, statuses = [], []
    for value in _values(payload, phone_number_id):
        names = {}
        for contact in value.get("contacts") or []:
            try:
                names[str(contact["wa_id"])] = str(contact["profile"]["name"])
            except (KeyError, TypeError):
                continue
        for item in value.get("messages") or []:
            try:
                messages.append(_message(item, names))
            except (KeyError, TypeError, AttributeError) as exc:
                logger.warning("WhatsApp message skipped (%r): %.300s", exc, item)
        for item in value.get("statuses") or []:
            try:
                update = _status(item)
            except (KeyError, TypeError, AttributeError, IndexError) as exc:
                logger.warning("WhatsApp status skipped (%r): %.300s", exc, item)
                continue
            if update is not None:
                statuses.append(update)
    return messages, statuses
