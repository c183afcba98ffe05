"""What the course engine asks the bot to say: catalog responses with values and buttons.

The engine never formats chat text itself. Each `Reply` names a response in the localized
catalog (core/locales/) and carries the values for its placeholders; course content (lesson
text, quiz options) travels as values, already in the learner's language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def payload(intent: str, **entities: str) -> str:
    """A Rasa button payload, e.g. ``/enroll_course{"course":"rti"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Reply:
    """One message: a catalog response, its placeholder values and extra buttons."""

    response: str
    args: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[dict[str, str], ...] = ()
    custom: dict[str, Any] | None = None


def button(title: str, intent: str, **entities: str) -> dict[str, str]:
    """A button whose title is already in the learner's language."""
    return {"title": title, "payload": payload(intent, **entities)}
