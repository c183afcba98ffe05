"""The dashboard's words in the reader's language, from each locale file's `dashboard:` section.

The language is the `lang` query parameter when it names a language the dashboard has, else
the browser's Accept-Language (by preference), else English. A key a locale leaves out is
shown in English. Numbers are written the Indian way (1,00,000).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import Request

from core.i18n import BASE_LANGUAGE, fill, format_number, get_catalog, section_texts

SECTION = "dashboard"
#: Top-level locale sections the dashboard's texts come from, one per group of pages; a key
#: means the same in all of them, so they are merged (later sections add, never override).
SECTIONS = (SECTION, "dashboard_insight", "dashboard_campaigns", "dashboard_roster")


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """Languages whose locale file has dashboard texts, English first."""
    return tuple(code for code in get_catalog().languages() if section_texts(SECTION, code))


@dataclass(frozen=True)
class Words:
    """The dashboard's texts in one language."""

    language: str
    texts: dict[str, str]

    def __call__(self, key: str, **values: object) -> str:
        """One text with its placeholders filled (numbers formatted)."""
        shown = {k: self.number(v) if isinstance(v, int) else str(v) for k, v in values.items()}
        return fill(self.texts[key], shown)

    def number(self, value: int) -> str:
        """A count as readers in India write it."""
        return format_number(value, self.language)


@lru_cache(maxsize=32)
def _texts(code: str) -> dict[str, str]:
    """One language's dashboard texts from all the dashboard sections of its locale file."""
    merged: dict[str, str] = {}
    for section in SECTIONS:
        merged = section_texts(section, code) | merged
    return merged


def words(language: str) -> Words:
    """The texts of a dashboard language (English where it has none)."""
    code = language if language in languages() else BASE_LANGUAGE
    return Words(code, _texts(BASE_LANGUAGE) | _texts(code))


def _accepted(header: str) -> list[str]:
    """Accept-Language's base language codes, most preferred first."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].lower()))
    return [code for _, _, code in sorted(ranked)]


def chosen_language(request: Request) -> tuple[str, bool]:
    """(the page's language, whether the URL chose it) for a request."""
    asked = request.query_params.get("lang", "")
    if asked in languages():
        return asked, True
    for code in _accepted(request.headers.get("accept-language", "")):
        if code in languages():
            return code, False
    return BASE_LANGUAGE, False


def url_language(request: Request) -> str | None:
    """The language the URL chose (`?lang=`), to keep in links and redirects; else None."""
    language, explicit = chosen_language(request)
    return language if explicit else None
