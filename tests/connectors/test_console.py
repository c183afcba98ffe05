"""The console channel: numbered buttons, and a chat loop against a fake gateway."""

from __future__ import annotations

import json

import httpx

from connectors.console import chat_loop, render, resolve_input

MESSAGES = [
    {"text": "Namaste!", "buttons": [{"title": "Courses", "payload": "/browse_courses"}]},
    {"text": "Also:", "buttons": [{"title": "Help", "payload": "/help"}]},
]


def test_buttons_are_numbered_across_messages() -> None:
    shown, buttons = render(MESSAGES)
    assert "bot › Namaste!" in shown
    assert "[1] Courses" in shown and "[2] Help" in shown
    assert [b["payload"] for b in buttons] == ["/browse_courses", "/help"]


def test_a_number_picks_a_button_and_other_text_passes_through() -> None:
    _, buttons = render(MESSAGES)
    assert resolve_input("2", buttons) == "/help"
    assert resolve_input(" 1 ", buttons) == "/browse_courses"
    assert resolve_input("3", buttons) == "3"  # no third button: sent as typed (a quiz answer)
    assert resolve_input("hello", buttons) == "hello"


def test_chat_loop_sends_payloads_and_prints_replies() -> None:
    sent: list[dict[str, str]] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        return httpx.Response(200, json={"user": body["user"], "messages": MESSAGES})

    lines = iter(["hi", "2", "/quit"])
    out: list[str] = []
    client = httpx.Client(transport=httpx.MockTransport(gateway))
    chat_loop(
        "http://gateway", user="asha", read=lambda _: next(lines), write=out.append, client=client
    )
    assert [b["text"] for b in sent] == ["hi", "/help"]
    assert all(b["channel"] == "console" and b["user"] == "asha" for b in sent)
    assert any("[2] Help" in line for line in out)


def test_chat_loop_reports_gateway_errors_and_continues() -> None:
    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": "the dialogue engine is not available"})

    lines = iter(["hi"])
    out: list[str] = []

    def read(_: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    chat_loop(
        "http://gateway",
        user="asha",
        read=read,
        write=out.append,
        client=httpx.Client(transport=httpx.MockTransport(gateway)),
    )
    assert any("not available" in line for line in out)


def test_a_certificate_is_shown_as_its_download_address() -> None:
    messages = [
        {"text": "Congratulations!"},
        {
            "custom": {
                "document": {
                    "kind": "certificate",
                    "code": "ABC234",
                    "filename": "karmabot-certificate-ABC234.pdf",
                }
            }
        },
    ]
    shown, _ = render(messages, "http://127.0.0.1:8080")
    assert shown.splitlines()[-1].strip() == "📄 http://127.0.0.1:8080/certificates/ABC234.pdf"
