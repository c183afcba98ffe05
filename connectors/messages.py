"""Channel-neutral bot messages, parsed from Rasa's REST channel output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: What a message calls a learner whose name is unknown ({name}, template parameters).
NAME_FALLBACK = "Karmayogi"


@dataclass(frozen=True)
class Button:
    """A button: what the learner sees and what it sends back."""

    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    """One message from the bot, ready to be rendered by any channel."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The message as the web chat API returns it."""
        data: dict[str, Any] = {"text": self.text}
        if self.buttons:
            data["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.image:
            data["image"] = self.image
        if self.custom:
            data["custom"] = self.custom
        return data


def from_rasa(items: list[dict[str, Any]]) -> list[BotMessage]:
    """Convert the list Rasa's REST webhook returns into bot messages."""
    messages = []
    for item in items:
        buttons = tuple(
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in item.get("buttons") or []
        )
        messages.append(
            BotMessage(
                text=str(item.get("text") or ""),
                buttons=buttons,
                image=item.get("image"),
                custom=dict(item.get("custom") or {}),
            )
        )
    return messages


def from_nlg(rendered: dict[str, Any]) -> BotMessage:
    """Convert one rendered catalog response (NLG format) into a bot message."""
    return from_rasa([rendered])[0]
