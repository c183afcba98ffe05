"""What a campaign says: a localized template or a text written once, with placeholders.

Templates are catalog responses (core/locales: `campaign_<template>`), so each learner gets the
message in their own language; a written text goes as written (in as many languages as the
supervisor wrote it), framed by the localized "Message from …". Placeholders: {name},
{course}, {due_date}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from learning.replies import Reply

TEMPLATES = ("reminder", "deadline", "new_course", "custom")
#: Templates that name a course (and carry a Continue button to it).
NEEDS_COURSE = ("reminder", "deadline", "new_course")


class MessageError(ValueError):
    """The message cannot be sent as given."""


@dataclass(frozen=True)
class Message:
    """A campaign's message.

    Attributes:
        template: reminder, deadline, new_course or custom.
        texts: For custom: language → text ("en" is the fallback for other languages).
        course: The course it is about (the Continue button opens it).
        due_date: The date quoted by {due_date} (deadline); also set on the cohort's
            enrollments as their due date when the campaign runs.
        sender: Who it is from (the supervisor's name); the catalog's default otherwise.
    """

    template: str = "reminder"
    texts: dict[str, str] = field(default_factory=dict)
    course: str | None = None
    due_date: date | None = None
    sender: str | None = None

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise MessageError(f"template must be one of {', '.join(TEMPLATES)}")
        if self.template == "custom" and not any(t.strip() for t in self.texts.values()):
            raise MessageError("a custom message needs a text")
        if self.template in NEEDS_COURSE and not self.course:
            raise MessageError(f"the {self.template} template needs a course")
        if self.template == "deadline" and not self.due_date:
            raise MessageError("the deadline template needs a due date")

    def to_json(self) -> str:
        """The message as JSON."""
        due = self.due_date.isoformat() if self.due_date else None
        values: dict[str, Any] = {
            "template": self.template, "texts": self.texts, "course": self.course,
            "sender": self.sender, "due_date": due,
        }  # fmt: skip
        return json.dumps(values, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Message:
        """A message stored by `to_json`."""
        values = json.loads(text)
        due = values.get("due_date")
        return cls(
            template=values.get("template", "reminder"),
            texts=dict(values.get("texts") or {}),
            course=values.get("course"),
            due_date=date.fromisoformat(due) if due else None,
            sender=values.get("sender"),
        )

    def text_for(self, language: str) -> str:
        """The written text in `language` (hi-Latn → hi → en → any)."""
        base = language.split("-")[0]
        for code in (language, base, "en"):
            if self.texts.get(code, "").strip():
                return self.texts[code]
        return next((t for t in self.texts.values() if t.strip()), "")

    def reply(
        self, *, name: str, language: str, course_title: str | None, sender: str, due: str
    ) -> Reply:
        """The catalog reply for one learner (values already in the learner's language)."""
        values = {"name": name, "course": course_title or "", "course_id": self.course or "",
                  "due_date": due, "sender": sender}  # fmt: skip
        if self.template != "custom":
            return Reply(f"campaign_{self.template}", values)
        text = self.text_for(language)
        for key in ("name", "course", "due_date"):
            text = text.replace("{" + key + "}", values[key])
        response = "campaign_custom" if self.course else "campaign_custom_plain"
        return Reply(response, values | {"text": text})
