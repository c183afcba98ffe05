"""The console channel: chat with Karmabot in a terminal through the gateway's JSON API."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

import httpx

PROMPT = "you › "
QUIT_WORDS = frozenset({"/quit", "/exit", "quit", "exit"})


def render(messages: list[dict[str, Any]], base_url: str = "") -> tuple[str, list[dict[str, str]]]:
    """Text for the terminal, with buttons as numbered options, and those buttons in order.

    A certificate is shown as the address it can be downloaded from.
    """
    lines: list[str] = []
    buttons: list[dict[str, str]] = []
    for message in messages:
        if message.get("text"):
            lines.append(f"bot › {message['text']}")
        document = (message.get("custom") or {}).get("document")
        if isinstance(document, dict) and document.get("kind") == "certificate":
            lines.append(f"      📄 {base_url}/certificates/{document.get('code')}.pdf")
        for button in message.get("buttons") or []:
            buttons.append(button)
            lines.append(f"      [{len(buttons)}] {button['title']}")
    return "\n".join(lines), buttons


def resolve_input(text: str, buttons: list[dict[str, str]]) -> str:
    """A bare number picks the matching button's payload; anything else is sent as typed."""
    choice = text.strip()
    if choice.isdigit() and 1 <= int(choice) <= len(buttons):
        return buttons[int(choice) - 1]["payload"]
    return text


def chat_loop(
    base_url: str,
    user: str | None = None,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    client: httpx.Client | None = None,
    token: str | None = None,
) -> None:
    """Read lines, send them to the gateway, print the replies, until EOF or /quit.

    `token` is the gateway's API token, needed when the gateway has one (`KARMABOT_API_TOKEN`).
    """
    user = user or f"console-{getpass.getuser()}"
    url = base_url.rstrip("/") + "/chat/api"
    buttons: list[dict[str, str]] = []
    write("Karmabot console — type a message; a number picks a button; /quit leaves.")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with client or httpx.Client(timeout=60.0, headers=headers) as http:
        while True:
            try:
                line = read(PROMPT)
            except (EOFError, KeyboardInterrupt):
                write("")
                return
            if line.strip().lower() in QUIT_WORDS:
                return
            if not line.strip():
                continue
            body = {"user": user, "text": resolve_input(line, buttons), "channel": "console"}
            try:
                reply = http.post(url, json=body)
            except httpx.HTTPError as exc:
                write(f"! Karmabot is not reachable at {base_url}: {exc}")
                continue
            data = reply.json()
            if reply.status_code != 200:
                write(f"! {data.get('error', reply.text)}")
                continue
            shown, buttons = render(data["messages"], base_url)
            write(shown or "bot › (no reply)")
