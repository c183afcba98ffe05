"""Telegram rendering: message splitting, inline keyboards, commands and deep links.

Pure functions, no network: `connectors/telegram.py` uses them to turn `BotMessage`s into Bot
API calls and Telegram commands into Rasa payloads.

Text is sent with parse mode HTML and every character of it escaped (`html.escape`): course
text and learner input may hold ``<`` or ``&``, and HTML needs only three characters escaped
(MarkdownV2 needs eighteen), so no text can ever break a message, and formatting can be added
later without changing how plain text is sent.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from connectors.messages import Button
from learning.buttons import PREFIX as KEY_PREFIX
from learning.replies import payload as rasa_payload

#: Telegram's limit for one message's text, in UTF-16 code units after entity parsing.
MAX_TEXT = 4096
#: Telegram's limit for a button's callback_data, in bytes.
MAX_CALLBACK_DATA = 64
#: Callback data of the one button left on a used keyboard: tapping it does nothing.
USED = "✓"
#: Titles at most this long are laid out two per row.
SHORT_TITLE = 15
#: A message that has buttons but no text still needs a text.
NO_TEXT = "👇"
#: `/start c_<course>` opens a course (invite codes never contain "_").
COURSE_LINK_PREFIX = "c_"
_COURSE_ID = re.compile(r"[A-Za-z0-9_-]{1,62}")

#: Telegram commands and the Rasa payloads they stand for.
COMMANDS: dict[str, str] = {
    "start": "/greet",
    "language": "/choose_language",
    "courses": "/browse_courses",
    "progress": "/my_progress",
    "stop": "/stop_reminders",
    "team": "/supervisor_menu",
    "help": "/help",
}

#: Command descriptions shown in Telegram's command menu, per catalog language (English is
#: the default list, also used for a catalog language missing here).
COMMAND_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "en": {
        "start": "Start Karmabot",
        "language": "Change the language",
        "courses": "Browse courses",
        "progress": "My progress and Karma Points",
        "stop": "Stop reminders",
        "team": "My team's reminders (supervisors)",
        "help": "What I can do",
    },
    "hi": {
        "start": "कर्माबॉट शुरू करें",
        "language": "भाषा बदलें",
        "courses": "कोर्स देखें",
        "progress": "मेरी प्रगति और कर्मा पॉइंट्स",
        "stop": "रिमाइंडर बंद करें",
        "team": "मेरी टीम के रिमाइंडर (पर्यवेक्षकों के लिए)",
        "help": "मैं क्या कर सकता हूँ",
    },
    "ta": {
        "start": "கர்மாபாட்டைத் தொடங்கு",
        "language": "மொழியை மாற்று",
        "courses": "பாடநெறிகளைப் பார்",
        "progress": "என் முன்னேற்றமும் கர்மா புள்ளிகளும்",
        "stop": "நினைவூட்டல்களை நிறுத்து",
        "team": "என் குழுவுக்கான நினைவூட்டல்கள் (மேற்பார்வையாளர்கள்)",
        "help": "நான் என்ன செய்ய முடியும்",
    },
    "bn": {
        "start": "কর্মবট শুরু করুন",
        "language": "ভাষা বদলান",
        "courses": "কোর্স দেখুন",
        "progress": "আমার অগ্রগতি ও কর্ম পয়েন্ট",
        "stop": "রিমাইন্ডার বন্ধ করুন",
        "team": "আমার টিমের রিমাইন্ডার (তত্ত্বাবধায়কদের জন্য)",
        "help": "আমি কী করতে পারি",
    },
}

#: The note shown (as a callback answer) for a button whose key is unknown.
EXPIRED_BUTTON: dict[str, str] = {
    "en": "This button no longer works. Type what you need, or send /help.",
    "hi": "यह बटन अब काम नहीं करता। जो चाहिए वह लिखें, या /help भेजें।",
    "ta": "இந்தப் பொத்தான் இனி வேலை செய்யாது. தேவையானதைத் தட்டச்சு செய்யவும், அல்லது /help அனுப்பவும்.",
    "bn": "এই বোতামটি আর কাজ করে না। যা দরকার লিখুন, অথবা /help পাঠান।",
}

# A sentence ends with punctuation (and closing quotes or brackets) before white space, or at
# a line break.
_SENTENCE_END = re.compile(r"[.!?…।॥][\"'”’)\]]*\s+|\n+")
_SPACE = re.compile(r"\s+")
_JOINERS = "\u200c\u200d"


def commands_for(language: str) -> list[BotCommand]:
    """The command menu in a language (English where it has no descriptions)."""
    texts = COMMAND_DESCRIPTIONS.get(language, COMMAND_DESCRIPTIONS["en"])
    return [BotCommand(name, texts[name]) for name in COMMANDS]


def expired_note(language: str) -> str:
    """The short note for a tapped button whose key is unknown."""
    return EXPIRED_BUTTON.get(language.split("-")[0], EXPIRED_BUTTON["en"])


def command_payload(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """The command in a message and its argument: ``("start", "CODE")``, or None.

    ``/help@karmabot`` counts when the bot is karmabot; a command for another bot is None, and
    so is any text that is not a known command.
    """
    if not text.startswith("/"):
        return None
    head, _, argument = text[1:].partition(" ")
    name, _, target = head.partition("@")
    if target and (bot_username is None or target.lower() != bot_username.lower()):
        return None
    name = name.lower()
    return (name, argument.strip()) if name in COMMANDS else None


def course_link(argument: str) -> str | None:
    """The payload that opens the course of a ``c_<course id>`` deep link, or None."""
    if not argument.startswith(COURSE_LINK_PREFIX):
        return None
    course = argument[len(COURSE_LINK_PREFIX) :]
    return rasa_payload("enroll_course", course=course) if _COURSE_ID.fullmatch(course) else None


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _cut(rest: str, fits: int) -> int:
    """Where to cut text longer than `fits` characters: the last sentence end that fits,
    else the last space, else at `fits` (never between a letter and its vowel sign)."""
    window = rest[: fits + 1]  # a sentence end may be the character just past the limit
    for pattern in (_SENTENCE_END, _SPACE):
        ends = [m.end() for m in pattern.finditer(window) if window[: m.start()].strip()]
        if ends:
            return min(ends[-1], fits)
    cut = fits
    while cut > 1 and _joined(rest[cut - 1], rest[cut]):
        cut -= 1
    return cut


def _joined(before: str, after: str) -> bool:
    """Whether two characters belong to one written letter (a vowel sign, a virama, a joiner)."""
    return (
        unicodedata.category(after)[0] == "M"
        or after in _JOINERS
        or before in _JOINERS
        or unicodedata.name(before, "").endswith("VIRAMA")
    )


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split text into parts of at most `limit` UTF-16 units, at sentence ends where possible.

    Then at spaces, and only as a last resort inside a word.
    """
    parts: list[str] = []
    rest = text.strip()
    while rest:
        fits = _fitting(rest, limit)
        if fits == len(rest):
            parts.append(rest)
            break
        cut = _cut(rest, fits)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def escape(text: str) -> str:
    """Text for parse mode HTML: ``&``, ``<`` and ``>`` escaped, nothing else touched."""
    return html.escape(text, quote=False)


def needs_key(payload: str) -> bool:
    """Whether a payload must travel as a stored key rather than as callback_data itself."""
    return (
        len(payload.encode("utf-8")) > MAX_CALLBACK_DATA
        or payload.startswith(KEY_PREFIX)
        or payload == USED
    )


async def keyboard(
    buttons: Sequence[Button], key_for: Callable[[str], Awaitable[str]]
) -> InlineKeyboardMarkup | None:
    """An inline keyboard: two buttons a row when all titles are short, else one a row.

    Args:
        buttons: The message's buttons.
        key_for: Stores a long payload and returns its short key.
    """
    if not buttons:
        return None
    row = 2 if all(len(b.title) <= SHORT_TITLE for b in buttons) else 1
    keys = [
        InlineKeyboardButton(
            b.title or b.payload,
            callback_data=await key_for(b.payload) if needs_key(b.payload) else b.payload,
        )
        for b in buttons
    ]
    return InlineKeyboardMarkup([keys[i : i + row] for i in range(0, len(keys), row)])


def used_keyboard(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup:
    """The keyboard after a tap: one inert button showing the choice with a ✓."""
    title = next(
        (
            button.text
            for row in (markup.inline_keyboard if markup else ())
            for button in row
            if button.callback_data == data
        ),
        "",
    )
    text = f"{USED} {title}" if title else USED
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=USED)]])
