"""A fake Telegram Bot API, strict where the real one is: PTB's own `Bot` talks to it.

Serve `FakeTelegram().app()` with `tests.fakes.server.serve` and point the bot at
`<url>/bot` (PTB's `base_url`). Every call is recorded (`calls`, with parameters and uploaded
files); `throttle` makes the next calls of a method answer 429 with `retry_after`; anything
the real API would refuse (a text over 4,096 characters, unescaped HTML, `callback_data` over
64 bytes, a missing parameter, an edit that changes nothing) answers 400 and is kept in
`problems`. `tests/fakes/telegram_updates.py` builds the updates to post to a webhook or to
`push` for getUpdates.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

JSON_PARAMS = {"reply_markup", "allowed_updates", "commands", "scope", "reply_parameters"}
INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "timeout"}
ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
           "upload_voice", "upload_document", "choose_sticker", "find_location"}  # fmt: skip
_TAG = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|code|pre|a|span|tg-spoiler|"
                  r"tg-emoji|blockquote)(\s[^<>]*)?>")  # fmt: skip
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class BadRequest(Exception):
    """What the real API answers with 400 "Bad Request: …"."""


@dataclass
class Call:
    """One request the fake answered."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible(text: str, parse_mode: str | None) -> str:
    """The text a user sees; unescaped `<` or `&` in HTML fail as the real API's do."""
    if parse_mode is None:
        return text
    if parse_mode != "HTML":
        raise BadRequest(f"unsupported parse_mode {parse_mode} in this fake")
    stripped = _TAG.sub("", text)
    if "<" in stripped or "&" in _ENTITY.sub("", stripped):
        raise BadRequest("can't parse entities: unsupported start tag or unescaped character")
    return html.unescape(stripped)


def check_markup(markup: Any) -> None:
    """Inline keyboards: rows of buttons with a text and 1-64 bytes of callback_data."""
    if markup is None or "inline_keyboard" not in markup:
        return
    for row in markup["inline_keyboard"]:
        for button in row:
            if not button.get("text"):
                raise BadRequest("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                raise BadRequest("BUTTON_DATA_INVALID")


def _need(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise BadRequest(f"{name} is empty")


def _decode(name: str, value: str) -> Any:
    if name in JSON_PARAMS:
        return json.loads(value)
    if name in INT_PARAMS and value.lstrip("-").isdigit():
        return int(value)
    return value


async def _parse(request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Parameters (form, multipart or JSON, as PTB or others send them) and uploaded files."""
    kind = request.headers.get("content-type", "")
    return parse_body(await request.body(), kind, dict(request.query_params))


def parse_body(
    body: bytes, kind: str, query: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """A request body's parameters (with the query string's) and uploaded files."""
    raw: dict[str, str] = dict(query or {})
    files: dict[str, tuple[str, bytes]] = {}
    if kind.startswith("application/json"):
        return json.loads(body or b"{}"), files
    if kind.startswith("multipart/form-data"):
        parsed = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + body
        )
        for part in parsed.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            if part.get_filename():
                files[name] = (str(part.get_filename()), content)
            else:
                raw[name] = content.decode()
    else:
        raw |= dict(parse_qsl(body.decode(), keep_blank_values=True))
    return {name: _decode(name, value) for name, value in raw.items()}, files


@dataclass
class FakeTelegram:
    """The fake's state: what it was asked, what it holds, what it refused."""

    token: str = "123456:fake-token"
    username: str = "karmabot_test_bot"
    calls: list[Call] = field(default_factory=list)
    throttled: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    #: Chats whose user blocked the bot: sending there answers 403.
    blocked: set[int] = field(default_factory=set)
    _throttle: dict[str, list[int]] = field(default_factory=dict)
    _answered: set[str] = field(default_factory=set)
    _next_message: int = 0

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":")[0])

    def called(self, method: str) -> list[Call]:
        """The successful calls of one method, in order."""
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `method` was called `count` times; returns those calls."""
        deadline = time.monotonic() + timeout
        while len(self.called(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method}: {len(self.called(method))} of {count} calls")
            await asyncio.sleep(0.01)
        return self.called(method)

    def throttle(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and this retry_after."""
        self._throttle.setdefault(method, []).extend([retry_after] * times)

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        self.pending.append(update)

    # -- methods --------------------------------------------------------------------------

    def _store(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params["chat_id"]
        self._next_message += 1
        message = {"message_id": self._next_message, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                   "from": self.get_me({}), **content}  # fmt: skip
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def get_me(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Karmabot",
                "username": self.username}  # fmt: skip

    def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        _need(params, "chat_id", "text")
        shown = visible(params["text"], params.get("parse_mode"))
        if not 1 <= _utf16(shown.strip()) <= 4096:
            raise BadRequest("message is too long" if shown.strip() else "message text is empty")
        check_markup(params.get("reply_markup"))
        return self._store(params, text=shown, **_markup(params))

    def edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        _need(params, "chat_id", "message_id")
        message = self.messages.get((params["chat_id"], params["message_id"]))
        if message is None:
            raise BadRequest("message to edit not found")
        check_markup(params.get("reply_markup"))
        if message.get("reply_markup") == params.get("reply_markup"):
            raise BadRequest(NOT_MODIFIED)
        message.pop("reply_markup", None)
        message.update(_markup(params))
        return message

    def edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        _need(params, "chat_id", "message_id", "text")
        message = self.messages.get((params["chat_id"], params["message_id"]))
        if message is None:
            raise BadRequest("message to edit not found")
        message.pop("reply_markup", None)
        message.update(text=visible(params["text"], params.get("parse_mode")), **_markup(params))
        return message

    def answer_callback_query(self, params: dict[str, Any]) -> bool:
        _need(params, "callback_query_id")
        if params["callback_query_id"] in self._answered:
            raise BadRequest("query is too old and response timeout expired or query ID is invalid")
        if len(params.get("text", "")) > 200:
            raise BadRequest("MESSAGE_TOO_LONG")
        self._answered.add(params["callback_query_id"])
        return True

    def send_document(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        _need(params, "chat_id")
        if "document" not in files:
            raise BadRequest("there is no document in the request")
        name, content = files["document"]
        document = {"file_id": "d1", "file_unique_id": "d1", "file_name": name,
                    "file_size": len(content)}  # fmt: skip
        return self._store(params, document=document)

    def send_chat_action(self, params: dict[str, Any]) -> bool:
        _need(params, "chat_id", "action")
        if params["action"] not in ACTIONS:
            raise BadRequest("wrong parameter action in request")
        return True

    def set_webhook(self, params: dict[str, Any]) -> bool:
        url, secret = params.get("url", ""), params.get("secret_token")
        if url and not url.startswith("https://"):
            raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise BadRequest("bad webhook: secret token contains unallowed characters")
        self.webhook = dict(params) if url else {}
        return True

    def delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self.pending.clear()
        return True

    def set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            raise BadRequest("commands must be a non-empty list")
        for command in commands:
            if not _COMMAND.fullmatch(command.get("command", "")):
                raise BadRequest("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands[(scope, params.get("language_code", ""))] = commands
        return True

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise BadRequest("Conflict: can't use getUpdates method while webhook is active")
        offset = params.get("offset", 0)
        self.pending[:] = [u for u in self.pending if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 0.5)
        while not self.pending and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.pending[: params.get("limit", 100)]

    async def endpoint(self, request: Request) -> JSONResponse:
        """`/bot<token>/<method>`: answer like the Bot API (`{"ok": …, "result": …}`)."""
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        if method not in METHODS:
            return _error(404, "Not Found")
        params, files = await _parse(request)
        status, body = await self.answer(method, params, files)
        return JSONResponse(body, status)

    async def answer(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, dict[str, Any]]:
        """The status and body the Bot API would answer to one call of `method`."""
        handler = getattr(self, re.sub(r"(?<!^)([A-Z])", r"_\1", method).lower(), None)
        if method not in METHODS or handler is None:
            return _failure(404, "Not Found")
        call = Call(method, params, files)
        if params.get("chat_id") in self.blocked:
            return _failure(403, "Forbidden: bot was blocked by the user")
        if self._throttle.get(method):
            self.throttled.append(call)
            wait = self._throttle[method].pop(0)
            return _failure(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        try:
            result = handler(params, files) if method == "sendDocument" else handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except BadRequest as exc:
            self.problems.append(f"{method}: {exc}")
            return _failure(400, f"Bad Request: {exc}")
        self.calls.append(call)
        return 200, {"ok": True, "result": result}

    def app(self) -> Starlette:
        """The ASGI app: POST /bot<token>/<method>."""
        route = Route("/bot{token}/{method}", self.endpoint, methods=["GET", "POST"])
        return Starlette(routes=[route])


def _failure(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body = {"ok": False, "error_code": code, "description": description}
    return code, body | ({"parameters": parameters} if parameters else {})


def _error(code: int, description: str, **parameters: Any) -> JSONResponse:
    status, body = _failure(code, description, **parameters)
    return JSONResponse(body, status)


def _markup(params: dict[str, Any]) -> dict[str, Any]:
    markup = params.get("reply_markup")
    return {"reply_markup": markup} if markup and "inline_keyboard" in markup else {}


METHODS = {"getMe", "getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
           "answerCallbackQuery", "sendDocument", "sendChatAction", "setWebhook",
           "deleteWebhook", "setMyCommands"}  # fmt: skip
