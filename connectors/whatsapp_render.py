"""Bot messages as WhatsApp Cloud API message bodies: text, reply buttons, lists, templates.

WhatsApp's limits decide the widget: up to 3 buttons become reply buttons (titles ≤ 20
characters), 4 to 10 a list message (row titles ≤ 24, descriptions ≤ 72), and more a list of
9 rows plus a "More" row that opens the next page. Interactive bodies hold 1,024 characters and
plain texts 4,096; longer texts are split at sentence boundaries. Everything here is pure: the
only outside help is `key_for`, which stores a long payload (or a paged list) and returns a
short key for it (`learning.buttons.ButtonKeys.key_for`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.messages import BotMessage, Button
from core.scripts import detect_script, language_for_script

TEXT_MAX = 4096
BODY_MAX = 1024
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
LIST_BUTTON_MAX = 20
PARAM_MAX = 200
#: The id of a "More" row: this prefix, the page to show, ":" and the stored list's key.
MORE_PREFIX = "wa:more:"
#: The list button and the "More" row, by the language the message is written in.
LABELS = {
    "en": ("Options", "More"),
    "hi": ("विकल्प", "और देखें"),
    "ta": ("விருப்பங்கள்", "மேலும்"),
    "bn": ("বিকল্প", "আরও"),
}
_VIRAMAS = frozenset("\u094d\u09cd\u0a4d\u0acd\u0b4d\u0bcd\u0c4d\u0ccd\u0d4d\u200c\u200d")
_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"(?<=[.!?।॥…])\s"), re.compile(r"\n"))
_SPACES = re.compile(r"\s+")

KeyFor = Callable[[str], str]
Body = dict[str, Any]


@dataclass(frozen=True)
class CertificateDocument:
    """A certificate to upload and send as a document (its code and file name)."""

    code: str
    filename: str


Outgoing = Body | CertificateDocument


def _safe_cut(text: str, cut: int) -> int:
    """Move a hard cut left so it never separates a letter from its marks or conjunct."""
    while cut > 1 and (
        unicodedata.category(text[cut]).startswith("M") or text[cut - 1] in _VIRAMAS
    ):
        cut -= 1
    return cut


def shorten(text: str, limit: int) -> str:
    """`text` on one line within `limit` characters, cut at a word boundary with "…"."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    room = limit - 1
    space = text.rfind(" ", 0, room + 1)
    head = text[:space] if space >= room // 2 else text[: _safe_cut(text, room)]
    return head.rstrip(" ,;:-–—(") + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into pieces of at most `limit` characters, at the best boundary in reach.

    Paragraph breaks come first, then sentence ends (including the danda), then line breaks,
    then spaces; a single overlong word is cut where no letter loses its marks.
    """
    pieces, rest = [], text.strip()
    while len(rest) > limit:
        window, cut = rest[: limit + 1], 0
        for pattern in (*_BREAKS, _SPACES):
            found = [m.start() for m in pattern.finditer(window) if m.start() >= limit // 3]
            if found:
                cut = found[-1]
                break
        cut = cut or _safe_cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def labels(text: str) -> tuple[str, str]:
    """The list button and "More" labels in the language `text` is written in."""
    language = language_for_script(detect_script(text)) or "en"
    return LABELS.get(language, LABELS["en"])


def _unique(buttons: Sequence[Button]) -> list[Button]:
    """The buttons with a payload, each payload once (WhatsApp ids must be unique)."""
    kept: dict[str, Button] = {}
    for button in buttons:
        if button.payload:
            kept.setdefault(button.payload, button)
    return list(kept.values())


def _id(payload: str, limit: int, key_for: KeyFor) -> str:
    return payload if len(payload) <= limit else key_for(payload)


def reply_buttons(body: str, buttons: Sequence[Button], key_for: KeyFor) -> Body | None:
    """Reply buttons, or None when the shortened titles would not be unique."""
    titles = [shorten(b.title, BUTTON_TITLE_MAX) or "…" for b in buttons]
    if len(set(titles)) < len(titles):
        return None
    action = [
        {"type": "reply", "reply": {"id": _id(b.payload, BUTTON_ID_MAX, key_for), "title": t}}
        for b, t in zip(buttons, titles, strict=True)
    ]
    return {
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": action}},
    }


def _row(button: Button, key_for: KeyFor) -> Body:
    title = shorten(button.title, ROW_TITLE_MAX) or "…"
    row = {"id": _id(button.payload, ROW_ID_MAX, key_for), "title": title}
    if title != _SPACES.sub(" ", button.title).strip():
        row["description"] = shorten(button.title, ROW_DESCRIPTION_MAX)
    return row


def page_count(buttons: int) -> int:
    """How many pages a list of this many buttons takes (9 per page, 10 on the last)."""
    return 1 if buttons <= ROWS_MAX else 1 + -(-(buttons - ROWS_MAX) // (ROWS_MAX - 1))


def list_page(
    body: str, buttons: Sequence[Button], key_for: KeyFor, page: int = 0, key: str | None = None
) -> Body:
    """One page of a list message; `key` names the stored list when it takes several pages."""
    list_button, more = labels(body)
    rest = buttons[page * (ROWS_MAX - 1) :]
    rows = [_row(b, key_for) for b in (rest if len(rest) <= ROWS_MAX else rest[: ROWS_MAX - 1])]
    if len(rest) > ROWS_MAX:
        if key is None:
            stored = {"body": body, "buttons": [[b.title, b.payload] for b in buttons]}
            key = key_for(json.dumps(stored, ensure_ascii=False))
        pages = page_count(len(buttons))
        rows.append(
            {"id": f"{MORE_PREFIX}{page + 1}:{key}", "title": f"{more} ▼",
             "description": f"{page + 2}/{pages}"}
        )  # fmt: skip
    section = {"title": shorten(list_button, ROW_TITLE_MAX), "rows": rows}
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {"button": shorten(list_button, LIST_BUTTON_MAX), "sections": [section]},
        },
    }


def parse_more(row_id: str) -> tuple[int, str] | None:
    """The page and list key of a "More" row id, or None when it is not one."""
    if not row_id.startswith(MORE_PREFIX):
        return None
    page, _, key = row_id.removeprefix(MORE_PREFIX).partition(":")
    return (int(page), key) if page.isdigit() and int(page) > 0 and key else None


def stored_list(stored: str) -> tuple[str, list[Button]] | None:
    """The body and buttons of a list `list_page` stored, or None if it is not one."""
    try:
        data = json.loads(stored)
        return str(data["body"]), [Button(str(t), str(p)) for t, p in data["buttons"]]
    except (ValueError, KeyError, TypeError):
        return None


def text_body(text: str) -> Body:
    """A plain text message (no link previews)."""
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def needs_keys(message: BotMessage) -> bool:
    """Whether rendering `message` stores anything (a paged list or an overlong payload)."""
    buttons = message.buttons
    return len(buttons) > ROWS_MAX or any(len(b.payload) > ROW_ID_MAX for b in buttons)


def render(message: BotMessage, key_for: KeyFor) -> list[Outgoing]:
    """The WhatsApp messages for one bot message, in the order they should be sent.

    A certificate goes first as a document, then the text; the buttons ride on the last
    piece of the text.
    """
    out: list[Outgoing] = []
    document = message.custom.get("document")
    if isinstance(document, dict) and document.get("kind") == "certificate":
        code = str(document.get("code") or "")
        if code:
            filename = str(document.get("filename") or f"karmabot-certificate-{code}.pdf")
            out.append(CertificateDocument(code, filename))
    if message.image:
        out.append({"type": "image", "image": {"link": message.image}})
    buttons = _unique(message.buttons)
    if not buttons:
        out += [text_body(piece) for piece in split_text(message.text, TEXT_MAX)]
        return out
    pieces = split_text(message.text, BODY_MAX) or ["👇"]
    body = pieces[-1]
    head = message.text.strip()[: -len(body)] if len(pieces) > 1 else ""
    out += [text_body(piece) for piece in split_text(head, TEXT_MAX)]
    widget = reply_buttons(body, buttons, key_for) if len(buttons) <= BUTTONS_MAX else None
    out.append(widget or list_page(body, buttons, key_for))
    return out


def template_param(text: str) -> str:
    """A template body parameter: one line, no runs of spaces, at most `PARAM_MAX` characters."""
    return shorten(text, PARAM_MAX) or "-"


def template_body(name: str, language: str, params: Sequence[str]) -> Body:
    """A template message with text body parameters."""
    template: Body = {"name": name, "language": {"code": language}}
    if params:
        parameters = [{"type": "text", "text": template_param(p)} for p in params]
        template["components"] = [{"type": "body", "parameters": parameters}]
    return {"type": "template", "template": template}
