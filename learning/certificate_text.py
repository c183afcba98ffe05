"""What a certificate says, in the learner's language: its fixed wording, date and link.

The wording lives in the locale catalog, in each file's `certificate:` section
(core/locales/<code>.yml); a key a locale leaves out is printed in English. A learner who
reads Hindi in Latin letters (hi-Latn) gets the Hindi wording romanized.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from core.i18n import BASE_LANGUAGE, LOCALES_DIR, fill
from core.scripts import to_latin

#: Where the gateway shows a certificate's verification page.
VERIFY_PATH = "/certificates/verify/"
#: The gateway's local address: the verification link when no public URL is configured.
LOCAL_URL = "http://127.0.0.1:8080"
KEYS = (
    "title", "intro", "middle", "closing", "code", "check", "page_title", "valid",
    "valid_detail", "learner", "course", "date", "invalid", "invalid_detail",
)  # fmt: skip


@dataclass(frozen=True)
class CertificateText:
    """A certificate's fixed wording in one language (see core/locales/en.yml).

    Attributes:
        language: The catalog language the wording is in ("hi"), or "hi-Latn".
        texts: Key → template; {date} and {code} are filled by `text`.
    """

    language: str
    texts: dict[str, str]

    def text(self, key: str, **values: str) -> str:
        """One piece of wording with its placeholders filled."""
        return fill(self.texts[key], values)


def verify_url(public_url: str, code: str) -> str:
    """The public verification page of a certificate."""
    return f"{public_url.rstrip('/')}{VERIFY_PATH}{code}"


def _split(language: str | None) -> tuple[str, bool]:
    parts = (language or BASE_LANGUAGE).replace("_", "-").split("-")
    return parts[0].lower(), any(p.lower() == "latn" for p in parts[1:])


@lru_cache(maxsize=32)
def _locale(directory: Path, code: str) -> tuple[dict[str, str], dict[str, str]]:
    """A locale file's certificate wording and its fixed Latin spellings (both may be empty)."""
    path = directory / f"{code}.yml"
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data = data if isinstance(data, dict) else {}
    section, spellings = data.get("certificate"), data.get("latin_spellings")
    texts = {str(k): str(v) for k, v in section.items()} if isinstance(section, dict) else {}
    spelled = spellings if isinstance(spellings, dict) else {}
    return (
        {k: v for k, v in texts.items() if k in KEYS},
        {unicodedata.normalize("NFC", str(k)): str(v) for k, v in spelled.items()},
    )


def certificate_text(
    language: str | None, script: str = "native", directory: Path = LOCALES_DIR
) -> CertificateText:
    """The wording for a learner's language ("hi", "hi-IN", "hi-Latn"; unknown → English).

    Args:
        language: The learner's language code.
        script: "latin" romanizes the wording (as a hi-Latn code does).
        directory: The locale catalog folder.
    """
    base, latin = _split(language)
    latin = latin or script == "latin"
    english, _ = _locale(directory, BASE_LANGUAGE)
    own, spellings = _locale(directory, base) if base != BASE_LANGUAGE else ({}, {})
    if latin and own:
        own = {key: to_latin(value, base, spellings) for key, value in own.items()}
    shown = base if own else BASE_LANGUAGE
    return CertificateText(f"{shown}-Latn" if latin and own else shown, english | own)


def issue_date(when: datetime, language: str, zone: tzinfo | None = None) -> str:
    """A date as a language writes it ("3 दिसंबर 2025"), on the calendar of `zone`.

    Args:
        when: An aware time.
        language: `CertificateText.language`.
        zone: The learner's time zone (the date of a course finished at 1:00 in India).
    """
    base, latin = _split(language)
    try:
        locale = Locale.parse("en_IN" if latin else f"{base}_IN")
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en_IN")
    return format_date((when.astimezone(zone) if zone else when).date(), "long", locale=locale)
