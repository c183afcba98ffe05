"""Updates as Telegram sends them, to post to the channel's webhook or `push` for getUpdates."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.telegram import FakeTelegram

JSON = dict[str, Any]


def user(user_id: int = 42, name: str = "Asha", **extra: Any) -> JSON:
    """A Telegram user (extra: username, language_code, last_name)."""
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"} | extra


class Updates:
    """Builds numbered updates from one default user; `tap` finds buttons the fake sent.

    Args:
        fake: The fake Bot API, for the messages (and keyboards) the bot sent.
        first_id: The first update id, less one.
    """

    def __init__(self, fake: FakeTelegram, first_id: int = 1000) -> None:
        self.fake = fake
        self._update_id = first_id
        self._message_id = 10_000

    def _update(self, **content: Any) -> JSON:
        self._update_id += 1
        return {"update_id": self._update_id, **content}

    def _message(self, sender: JSON | None, chat_id: int | None, **content: Any) -> JSON:
        sender = sender or user()
        chat_id = sender["id"] if chat_id is None else chat_id
        chat: JSON = {"id": chat_id, "type": "private"}
        if chat_id < 0:
            chat = {"id": chat_id, "type": "group", "title": "Team"}
        self._message_id += 1
        return {"message_id": self._message_id, "date": int(time.time()), "chat": chat,
                "from": sender, **content}  # fmt: skip

    def text(
        self, text: str, sender: JSON | None = None, chat_id: int | None = None, **content: Any
    ) -> JSON:
        """A text message (a command gets its bot_command entity)."""
        if text.startswith("/"):
            length = len(text.split(" ")[0])
            content.setdefault("entities", [{"type": "bot_command", "offset": 0, "length": length}])
        return self._update(message=self._message(sender, chat_id, text=text, **content))

    def sticker(self, sender: JSON | None = None) -> JSON:
        """A sticker message."""
        sticker = {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False, "type": "regular"}  # fmt: skip
        return self._update(message=self._message(sender, None, sticker=sticker))

    def edited(self, text: str, sender: JSON | None = None) -> JSON:
        """An edited text message."""
        return self._update(edited_message=self._message(sender, None, text=text, edit_date=1))

    def tap(self, title: str, sender: JSON | None = None) -> JSON:
        """A tap on the newest button titled `title` that the bot sent to the user's chat."""
        sender = sender or user()
        for (chat_id, _), message in reversed(self.fake.messages.items()):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            found = [b for row in rows for b in row if b["text"] == title]
            if chat_id == sender["id"] and found:
                query = {"id": f"q{self._update_id}", "from": sender, "message": message,
                         "chat_instance": "ci", "data": found[0]["callback_data"]}  # fmt: skip
                return self._update(callback_query=query)
        raise AssertionError(f"no button {title!r} was sent to {sender['id']}")
