"""Telegram rendering: splitting, keyboards, commands and deep links (pure functions)."""

from __future__ import annotations

import re

from connectors.messages import Button
from connectors.telegram_render import (
    COMMAND_DESCRIPTIONS,
    COMMANDS,
    USED,
    command_payload,
    commands_for,
    course_link,
    expired_note,
    keyboard,
    split_text,
    used_keyboard,
    utf16_len,
)
from core.i18n import get_catalog


def test_short_text_is_one_part_and_blank_text_none() -> None:
    assert split_text("  Namaste!  ") == ["Namaste!"]
    assert split_text(" \n ") == []


def test_long_text_splits_after_the_last_sentence_that_fits() -> None:
    assert split_text("One two. Three four five. Six.", 20) == [
        "One two.",
        "Three four five.",
        "Six.",
    ]
    assert split_text("पहला वाक्य। दूसरा वाक्य।", 15) == ["पहला वाक्य।", "दूसरा वाक्य।"]
    assert split_text("line one\nline two", 12) == ["line one", "line two"]


def test_without_sentence_ends_it_splits_between_words_then_anywhere() -> None:
    assert split_text("alpha beta gamma delta", 12) == ["alpha beta", "gamma delta"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_limits_count_utf16_units_and_letters_stay_whole() -> None:
    parts = split_text("😀" * 3000)  # 2 UTF-16 units each
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    hindi = split_text("नमस्ते" * 1000)
    assert all(utf16_len(p) <= 4096 for p in hindi)
    assert "".join(hindi) == "नमस्ते" * 1000
    assert hindi[0][-1] != "\u094d" and hindi[1][0] not in "\u094d\u0947"  # no half letter


def test_commands_need_this_bot_and_a_known_name() -> None:
    assert command_payload("/help", "karmabot") == ("help", "")
    assert command_payload("/HELP@KarmaBot", "karmabot") == ("help", "")
    assert command_payload("/start  AB12-CD34 ", "karmabot") == ("start", "AB12-CD34")
    assert command_payload("/help@otherbot", "karmabot") is None
    assert command_payload("/answer_quiz", "karmabot") is None
    assert command_payload("help", "karmabot") is None


def test_course_links_become_enroll_payloads() -> None:
    assert course_link("c_rti-for-officials") == '/enroll_course{"course":"rti-for-officials"}'
    assert course_link('c_x"}') is None and course_link("AB12CD34") is None


async def test_long_and_reserved_payloads_travel_as_keys() -> None:
    async def key_for(payload: str) -> str:
        return "k:" + str(len(payload))

    buttons = [
        Button("A", "/a"),
        Button("B", "/" + "b" * 70),
        Button("C", USED),
        Button("D", "k:x"),
    ]
    markup = await keyboard(buttons, key_for)
    assert markup is not None
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert data == ["/a", "k:71", "k:1", "k:3"]
    assert await keyboard([], key_for) is None


async def test_a_used_keyboard_keeps_only_the_choice() -> None:
    async def key_for(payload: str) -> str:
        raise AssertionError("no key needed")

    markup = await keyboard([Button("Yes", "/affirm"), Button("No", "/deny")], key_for)
    used = used_keyboard(markup, "/deny")
    assert [[(b.text, b.callback_data) for b in row] for row in used.inline_keyboard] == [
        [("✓ No", USED)]
    ]
    assert used_keyboard(None, "/x").inline_keyboard[0][0].text == USED


def test_every_catalog_language_has_valid_command_descriptions() -> None:
    for language in get_catalog().languages():
        assert language in COMMAND_DESCRIPTIONS, f"describe the commands in {language}"
        commands = commands_for(language)
        assert [c.command for c in commands] == list(COMMANDS)
        assert all(re.fullmatch(r"[a-z0-9_]{1,32}", c.command) for c in commands)
        assert all(1 <= len(c.description) <= 256 for c in commands)
        assert expired_note(language) and len(expired_note(language)) <= 200
    assert commands_for("xx") == commands_for("en")
