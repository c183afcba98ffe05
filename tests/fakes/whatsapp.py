"""A fake WhatsApp Cloud API (Graph), strict about message shapes, and Meta's side of webhooks.

`FakeGraph` serves `POST /{version}/{phone_number_id}/messages` and `/media` behind a Bearer
token, checks every message as the real API does (at most 3 reply buttons with titles of 20
characters, at most 10 list rows, body lengths, template fields) and answers a Graph-style
error otherwise; it records every call, can fail the next calls on demand, and can post status
callbacks for what it accepted. `Meta` builds and signs webhooks, so tests act as Meta.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ERRORS = {
    100: "Invalid parameter", 131008: "Required parameter is missing",
    131009: "Parameter value is not valid", 132000: "Number of parameters does not match",
    132001: "Template name does not exist in the translation", 130429: "Rate limit hit",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131026: "Message undeliverable", 131047: "Re-engagement message", 190: "Invalid token",
}  # fmt: skip
_SPACES = re.compile(r" {5,}")


def graph_error(status: int, code: int, details: str = "") -> JSONResponse:
    """An error answer in the Graph API's shape."""
    error = {"message": f"(#{code}) {ERRORS.get(code, 'Error')}", "type": "OAuthException",
             "code": code, "error_data": {"messaging_product": "whatsapp", "details": details},
             "fbtrace_id": "fake"}  # fmt: skip
    return JSONResponse({"error": error}, status)


def _check(ok: bool, problem: str, problems: list[str]) -> None:
    if not ok:
        problems.append(problem)


def _sized(value: Any, low: int, high: int) -> bool:
    return isinstance(value, str) and low <= len(value) <= high


def check_interactive(item: dict[str, Any], problems: list[str]) -> None:
    """Reply buttons and list messages, as the real API checks them."""
    _check(_sized((item.get("body") or {}).get("text"), 1, 1024), "body.text 1..1024", problems)
    action = item.get("action") or {}
    if item.get("type") == "button":
        buttons = action.get("buttons") or []
        _check(1 <= len(buttons) <= 3, "1..3 buttons", problems)
        replies = [b.get("reply") or {} for b in buttons]
        _check(all(b.get("type") == "reply" for b in buttons), "button type reply", problems)
        _check(all(_sized(r.get("title"), 1, 20) for r in replies), "title 1..20", problems)
        _check(all(_sized(r.get("id"), 1, 256) for r in replies), "id 1..256", problems)
        _check(len({r.get("title") for r in replies}) == len(replies), "unique titles", problems)
        _check(len({r.get("id") for r in replies}) == len(replies), "unique ids", problems)
    elif item.get("type") == "list":
        _check(_sized(action.get("button"), 1, 20), "list button 1..20", problems)
        sections = action.get("sections") or []
        rows = [row for s in sections for row in s.get("rows") or []]
        _check(1 <= len(sections) <= 10 and 1 <= len(rows) <= 10, "1..10 rows", problems)
        _check(all(_sized(s.get("title", "x"), 1, 24) for s in sections), "section", problems)
        _check(all(_sized(r.get("title"), 1, 24) for r in rows), "row title 1..24", problems)
        _check(all(_sized(r.get("id"), 1, 200) for r in rows), "row id 1..200", problems)
        _check(all(_sized(r.get("description", "x"), 1, 72) for r in rows), "description", problems)
        _check(len({r.get("id") for r in rows}) == len(rows), "unique row ids", problems)
    else:
        problems.append(f"interactive type {item.get('type')!r}")


@dataclass
class FakeGraph:
    """State of the fake: calls, accepted messages, uploaded media, failures to come.

    Attributes:
        templates: Approved template names → how many body parameters they take.
        webhook_url, app_secret, auto_statuses: When set, each accepted message gets these
            status callbacks ("sent", "delivered", …), signed and posted to the webhook.
    """

    token: str = "wa-token"
    phone_number_id: str = "100200300"
    version: str = "v21.0"
    templates: dict[str, int] = field(default_factory=lambda: {"karmabot_update": 2})
    webhook_url: str | None = None
    app_secret: str | None = None
    auto_statuses: tuple[str, ...] = ()
    calls: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: deque[tuple[int, int]] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def fail_next(self, times: int = 1, *, status: int = 400, code: int = 130429) -> None:
        """Answer the next `times` calls with this HTTP status and Graph error code."""
        self.failures.extend([(status, code)] * times)

    def to(self, wa_id: str) -> list[dict[str, Any]]:
        """The messages accepted for one user, in order."""
        return [m for m in self.sent if m.get("to") == wa_id]

    def _refusal(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return graph_error(401, 190)
        if request.path_params["number"] != self.phone_number_id:
            return graph_error(400, 100, "Object with ID does not exist")
        if self.failures:
            status, code = self.failures.popleft()
            return graph_error(status, code, "failing on request")
        return None

    def problems(self, message: dict[str, Any]) -> list[str]:
        """What the real API would object to in a message."""
        problems: list[str] = []
        _check(message.get("messaging_product") == "whatsapp", "messaging_product", problems)
        _check(str(message.get("to", "")).isdigit(), "to: digits", problems)
        kind = message.get("type")
        item = message.get(kind) if isinstance(kind, str) else None
        if not isinstance(item, dict):
            return [*problems, f"no {kind!r} object"]
        if kind == "text":
            _check(_sized(item.get("body"), 1, 4096), "text.body 1..4096", problems)
        elif kind == "interactive":
            check_interactive(item, problems)
        elif kind == "document":
            _check(item.get("id") in self.media or "link" in item, "document id", problems)
        elif kind == "image":
            _check("link" in item or item.get("id") in self.media, "image", problems)
        elif kind == "template":
            self._check_template(item, problems)
        else:
            problems.append(f"type {kind!r}")
        return problems

    def _check_template(self, item: dict[str, Any], problems: list[str]) -> None:
        _check(bool((item.get("language") or {}).get("code")), "language.code", problems)
        params = [
            p
            for c in item.get("components") or []
            if c.get("type") == "body"
            for p in c.get("parameters") or []
        ]
        for param in params:
            text = param.get("text")
            _check(param.get("type") == "text" and _sized(text, 1, 1024), "param", problems)
            _check(
                not re.search(r"[\n\t]", text or "") and not _SPACES.search(text or ""),
                "param: no new lines, tabs or 5 spaces",
                problems,
            )
        if item.get("name") not in self.templates:
            problems.append("132001")
        elif len(params) != self.templates[item["name"]]:
            problems.append("132000")

    async def messages(self, request: Request) -> Response:
        refused = self._refusal(request)
        message = json.loads(await request.body())
        self.calls.append({"path": request.url.path, "body": message})
        if refused is not None:
            return refused
        problems = self.problems(message)
        for code in (132001, 132000):
            if str(code) in problems:
                return graph_error(400, code, f"template {message['template'].get('name')}")
        if problems:
            return graph_error(400, 131009, "; ".join(problems))
        wamid = f"wamid.fake{next(self._ids)}"
        self.sent.append(message | {"id": wamid})
        if self.webhook_url and self.app_secret and self.auto_statuses:
            meta = Meta(self.app_secret, self.phone_number_id)
            callbacks = [status(wamid, s, message["to"]) for s in self.auto_statuses]
            asyncio.get_running_loop().create_task(meta.post(self.webhook_url, callbacks))
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": message["to"], "wa_id": message["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    async def upload(self, request: Request) -> Response:
        refused = self._refusal(request)
        raw = await request.body()
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
        parts = {p.get_param("name", header="content-disposition"): p for p in parsed.iter_parts()}
        self.calls.append({"path": request.url.path, "fields": sorted(parts)})
        if refused is not None:
            return refused
        file, product = parts.get("file"), parts.get("messaging_product")
        if file is None or product is None or product.get_content().strip() != "whatsapp":
            return graph_error(400, 131008, "file and messaging_product=whatsapp")
        media_id = f"media-{next(self._ids)}"
        self.media[media_id] = {
            "filename": file.get_filename(),
            "type": file.get_content_type(),
            "data": file.get_payload(decode=True),
        }
        return JSONResponse({"id": media_id})

    def app(self) -> Starlette:
        """The ASGI app: POST /{version}/{number}/messages and /media."""
        base = f"/{self.version}/{{number}}"
        return Starlette(
            routes=[
                Route(f"{base}/messages", self.messages, methods=["POST"]),
                Route(f"{base}/media", self.upload, methods=["POST"]),
            ]
        )


# --- Meta's side: webhook payloads, signed ---------------------------------------------------


_INBOUND = itertools.count()


def incoming(
    wa_id: str, kind: str, content: dict[str, Any], *, message_id: str | None = None,
    at: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A message from a user: of type `kind`, with its `content` object."""
    message_id = message_id or f"wamid.in{next(_INBOUND)}"
    stamp = str(at or int(time.time()))
    return {"from": wa_id, "id": message_id, "timestamp": stamp, "type": kind, kind: content}


def text(wa_id: str, body: str, **kw: Any) -> dict[str, Any]:
    """A text message from a user."""
    return incoming(wa_id, "text", {"body": body}, **kw)


def tap(wa_id: str, reply_id: str, *, row: bool = False, **kw: Any) -> dict[str, Any]:
    """A reply button (or, with `row`, a list row) tapped."""
    kind = "list_reply" if row else "button_reply"
    return incoming(
        wa_id, "interactive", {"type": kind, kind: {"id": reply_id, "title": "t"}}, **kw
    )


def media(wa_id: str, kind: str = "sticker", **kw: Any) -> dict[str, Any]:
    """A sticker, image, voice note, location, … (anything but text)."""
    return incoming(wa_id, kind, {"id": "media-in", "mime_type": "image/webp"}, **kw)


def status(
    message_id: str, state: str, wa_id: str, *, at: int | None = None, code: int | None = None
) -> dict[str, Any]:
    """A status callback for a message we sent; a code makes it a failure with that error."""
    stamp = str(at or int(time.time()))
    item: dict[str, Any] = {"id": message_id, "status": state, "timestamp": stamp,
                            "recipient_id": wa_id}  # fmt: skip
    if code is not None:
        error = {"code": code, "title": ERRORS.get(code, "Error"), "error_data": {"details": "x"}}
        item["errors"] = [error]
    return item


@dataclass
class Meta:
    """Posts signed webhooks, as Meta does; `client` may be an in-process ASGI client."""

    app_secret: str
    phone_number_id: str = "100200300"
    client: httpx.AsyncClient | None = None

    def sign(self, body: bytes) -> str:
        """The `X-Hub-Signature-256` value for a body."""
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def payload(
        self, items: list[dict[str, Any]], names: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The webhook body for messages (those with a "from") and statuses."""
        metadata = {"display_phone_number": "15550000000", "phone_number_id": self.phone_number_id}
        value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": metadata}
        messages = [i for i in items if "from" in i]
        if messages:
            users = dict.fromkeys(m["from"] for m in messages)
            value["contacts"] = [
                {"profile": {"name": (names or {}).get(u, "Asha")}, "wa_id": u} for u in users
            ]
            value["messages"] = messages
        if statuses := [i for i in items if "status" in i]:
            value["statuses"] = statuses
        change = {"field": "messages", "value": value}
        entry = {"id": "waba", "changes": [change]}
        return {"object": "whatsapp_business_account", "entry": [entry]}

    async def post(
        self,
        url: str,
        items: list[dict[str, Any]] | dict[str, Any],
        *,
        signature: str | bool | None = True,
        names: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Post a webhook (a list of items, or a whole body), signed unless told otherwise."""
        body = json.dumps(items if isinstance(items, dict) else self.payload(items, names)).encode()
        headers = {"content-type": "application/json"}
        if signature is True:
            headers["x-hub-signature-256"] = self.sign(body)
        elif isinstance(signature, str):
            headers["x-hub-signature-256"] = signature
        if self.client is not None:
            return await self.client.post(url, content=body, headers=headers)
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(url, content=body, headers=headers)
