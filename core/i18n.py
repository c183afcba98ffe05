"""The localized catalog: every bot message, in every language, from core/locales/<code>.yml.

A locale file is data: adding a language means adding a file. At load the catalog checks that
every locale has English's responses, button payloads (in order) and ``{placeholders}``, and
names the file and response when one does not. Placeholders are plain ``{name}`` fields filled
in one regex pass, not `str.format`: a missing value renders as "", ``{0.__class__}`` is never
evaluated, values are not re-scanned, the JSON braces of ``/choose_language{"language":"{code}"}``
need no escaping, and values filled into a payload are JSON-escaped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

from core.scripts import to_latin

LOCALES_DIR = Path(__file__).with_name("locales")
BASE_LANGUAGE = "en"
LATIN_SCRIPT = "latin"
NATIVE_SCRIPT = "native"
MAX_TITLE_CHARS = 20  # WhatsApp reply buttons show at most 20 characters
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_RESPONSE_KEYS = {"text", "buttons", "language_buttons"}


class CatalogError(ValueError):
    """A locale file is malformed or out of step with English."""


@dataclass(frozen=True)
class LocaleTexts:
    """One language's texts.

    Attributes:
        code: BCP-47 base code, e.g. "hi".
        name: The language's name in itself, e.g. "हिन्दी".
        latin_name: The name of its Latin-script variant ("Hindi (Roman)"), None if there is none.
        responses: Response name → {"text", "buttons", "language_buttons"}.
        latin_spellings: Fixed Latin spellings of words, keyed by NFC text ({"कोर्स": "course"}).
        keywords: Whole-message commands that work whatever the dialogue understands, by kind
            ("stop": opt out of reminders and campaigns, "start": opt back in), normalised
            with `keyword_form`.
    """

    code: str
    name: str
    latin_name: str | None
    responses: dict[str, dict[str, Any]]
    latin_spellings: dict[str, str]
    keywords: dict[str, frozenset[str]] = field(default_factory=dict)


def fill(template: str, values: dict[str, str]) -> str:
    """Substitute ``{name}`` placeholders; unknown ones become "". Nothing else is evaluated."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)


def fill_payload(template: str, values: dict[str, str]) -> str:
    """Like `fill`, but JSON-escapes each value (payload placeholders sit in JSON strings)."""
    return _PLACEHOLDER.sub(lambda m: json.dumps(values.get(m.group(1), ""))[1:-1], template)


def choose_language_payload(code: str) -> str:
    """The button payload that selects a language, e.g. ``/choose_language{"language":"hi"}``."""
    return "/choose_language" + json.dumps({"language": code}, separators=(",", ":"))


def _placeholders(response: dict[str, Any]) -> set[str]:
    parts = [response["text"]] + [b["title"] + b["payload"] for b in response["buttons"]]
    return {name for part in parts for name in _PLACEHOLDER.findall(part)}


def _check_response(where: str, response: Any) -> dict[str, Any]:
    """A response in normal form (buttons always a list), or a CatalogError naming it."""
    if not isinstance(response, dict) or not isinstance(response.get("text"), str):
        raise CatalogError(f"{where} needs a `text` string")
    if set(response) - _RESPONSE_KEYS:
        raise CatalogError(f"{where} has unknown keys {sorted(set(response) - _RESPONSE_KEYS)}")
    buttons = response.get("buttons") or []
    fields = ("title", "payload")
    if not isinstance(buttons, list) or not all(
        isinstance(b, dict) and all(isinstance(b.get(k), str) for k in fields) for b in buttons
    ):
        raise CatalogError(f"{where}: `buttons` must be a list of {{title, payload}} strings")
    if not isinstance(response.get("language_buttons", False), bool):
        raise CatalogError(f"{where}: `language_buttons` must be true or false")
    language_buttons = response.get("language_buttons", False)
    return {"text": response["text"], "buttons": buttons, "language_buttons": language_buttons}


def load_locale(path: Path) -> LocaleTexts:
    """Read and check one locale file.

    Raises:
        CatalogError: if the file is not valid YAML or not a well-formed catalog.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("responses"), dict):
        raise CatalogError(f"{path.name}: needs `language`, `name` and `responses`")
    code = str(data.get("language") or path.stem)
    if code != path.stem:
        raise CatalogError(f"{path.name}: `language: {code}` does not match the file name")
    responses = {
        str(key): _check_response(f"{path.name}: response `{key}`", value)
        for key, value in data["responses"].items()
    }
    spellings = data.get("latin_spellings") or {}
    if not isinstance(spellings, dict):
        raise CatalogError(f"{path.name}: `latin_spellings` must map words to spellings")
    spellings = {unicodedata.normalize("NFC", str(k)): str(v) for k, v in spellings.items()}
    name = str(data.get("name") or _babel_name(code) or code)
    latin = str(data["latin_name"]) if data.get("latin_name") else None
    return LocaleTexts(code, name, latin, responses, spellings, _keywords(path.name, data))


KEYWORD_KINDS = ("stop", "start")
_NOT_WORD = re.compile(r"[^\w\s]+")


def keyword_form(text: str) -> str:
    """A message as keywords are compared: NFC, case-folded, punctuation dropped, one space."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def _keywords(file: str, data: dict[str, Any]) -> dict[str, frozenset[str]]:
    raw = data.get("keywords") or {}
    if not isinstance(raw, dict) or set(raw) - set(KEYWORD_KINDS):
        raise CatalogError(f"{file}: `keywords` maps {' and '.join(KEYWORD_KINDS)} to word lists")
    found = {}
    for kind, words in raw.items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise CatalogError(f"{file}: `keywords.{kind}` must be a list of words")
        found[kind] = frozenset(keyword_form(w) for w in words)
    return found


def check_parity(base: LocaleTexts, other: LocaleTexts) -> None:
    """Check that `other` has the same responses, payloads and placeholders as `base`.

    Raises:
        CatalogError: naming the file and response that differ.
    """
    file, base_file = f"{other.code}.yml", f"{base.code}.yml"
    missing = sorted(base.responses.keys() - other.responses.keys())
    extra = sorted(other.responses.keys() - base.responses.keys())
    if missing or extra:
        raise CatalogError(f"{file}: missing responses {missing}, unknown {extra} ({base_file})")
    for key, response in base.responses.items():
        theirs, where = other.responses[key], f"{file}: response `{key}`"
        payloads = [[b["payload"] for b in r["buttons"]] for r in (theirs, response)]
        if payloads[0] != payloads[1]:
            raise CatalogError(f"{where} has payloads {payloads[0]}, {base_file} {payloads[1]}")
        names = [sorted(_placeholders(r)) for r in (theirs, response)]
        if names[0] != names[1]:
            raise CatalogError(f"{where} has placeholders {names[0]}, {base_file} {names[1]}")
        if theirs["language_buttons"] != response["language_buttons"]:
            raise CatalogError(f"{where} differs from {base_file} in `language_buttons`")


def check_titles(locale: LocaleTexts) -> None:
    """Raise a CatalogError if a button title (also romanized, if offered) exceeds 20 chars."""
    code, spellings = locale.code, locale.latin_spellings
    for key, response in locale.responses.items():
        for title in (b["title"] for b in response["buttons"]):
            latin = to_latin(title, code, spellings) if locale.latin_name else ""
            for long in (t for t in (title, latin) if len(t) > MAX_TITLE_CHARS):
                if not _PLACEHOLDER.search(long):
                    where = f"{locale.code}.yml: response `{key}`"
                    raise CatalogError(f"{where}: button title {long!r} is over {MAX_TITLE_CHARS}")


def _split(code: str | None) -> tuple[str, str | None]:
    """("hi", "latin") for "hi-Latn", ("hi", None) for "hi_IN"; base lower-cased."""
    parts = (code or BASE_LANGUAGE).strip().replace("_", "-").split("-")
    latin = any(part.lower() == "latn" for part in parts[1:])
    return parts[0].lower(), LATIN_SCRIPT if latin else None


def _babel_name(code: str) -> str | None:
    try:
        return Locale.parse(code.replace("_", "-"), sep="-").get_display_name() or None
    except (UnknownLocaleError, ValueError, TypeError):
        return None


class Catalog:
    """All locales, validated against English, rendered as Rasa NLG responses.

    Args:
        directory: Folder holding one ``<code>.yml`` per language (en.yml is required).

    Raises:
        CatalogError: if a locale file is malformed or out of step with English.
    """

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        locales = {p.stem: load_locale(p) for p in sorted(Path(directory).glob("*.yml"))}
        if BASE_LANGUAGE not in locales:
            raise CatalogError(f"{directory}: {BASE_LANGUAGE}.yml is required")
        for locale in locales.values():
            check_parity(locales[BASE_LANGUAGE], locale)
            check_titles(locale)
            if set(locale.keywords) != set(KEYWORD_KINDS):
                raise CatalogError(f"{locale.code}.yml: needs `keywords` for {KEYWORD_KINDS}")
        self._locales = locales
        self._keywords = {
            word: kind
            for locale in locales.values()
            for kind, words in locale.keywords.items()
            for word in words
        }

    def keyword(self, text: str) -> str | None:
        """ "stop" or "start" when the whole message is such a keyword in any language."""
        return self._keywords.get(keyword_form(text))

    def languages(self) -> list[str]:
        """Language codes with a catalog, English first."""
        return sorted(self._locales, key=lambda c: (c != BASE_LANGUAGE, c))

    def response_names(self) -> list[str]:
        """Every response name the catalog defines (for domain.yml)."""
        return sorted(self._locales[BASE_LANGUAGE].responses)

    def resolve(self, code: str | None) -> str:
        """The catalog language for a code: itself, its base language (hi-IN → hi), or en."""
        if code and code in self._locales:
            return code
        base, _ = _split(code)
        return base if base in self._locales else BASE_LANGUAGE

    def has(self, code: str) -> bool:
        """True when `code` (or its base, hi-IN → hi) has a catalog; hi-Latn needs `latin_name`."""
        base, script = _split(code)
        locale = self._locales.get(base)
        return locale is not None and (script is None or locale.latin_name is not None)

    def native_name(self, code: str) -> str:
        """A language's name in that language: from its catalog, else from Babel (CLDR)."""
        base, script = _split(code)
        locale = self._locales.get(code) or self._locales.get(base)
        if locale is not None and script is None:
            return locale.name
        if locale is not None and locale.latin_name:
            return locale.latin_name
        return _babel_name(code) or code

    def language_buttons(self) -> list[dict[str, str]]:
        """One button per language, each Latin-script variant right after its language."""
        buttons = []
        for code in self.languages():
            locale = self._locales[code]
            buttons.append({"title": locale.name, "payload": choose_language_payload(code)})
            if locale.latin_name:
                latin = choose_language_payload(f"{code}-Latn")
                buttons.append({"title": locale.latin_name, "payload": latin})
        return buttons

    def render(
        self,
        response: str,
        language: str | None,
        /,
        *,
        script: str = NATIVE_SCRIPT,
        buttons: Sequence[dict[str, str]] = (),
        **args: Any,
    ) -> dict[str, Any]:
        """The Rasa NLG response dict ({"text", "buttons", "image", ...}) for `response`.

        Args:
            response: Response name, e.g. "utter_greet".
            language: hi-IN falls back to hi, unknown codes to en; hi-Latn is Hindi in Latin.
            script: "native" or "latin" (romanized; only Devanagari languages change).
            buttons: Extra buttons ({"title", "payload"}, already in the right language, e.g.
                course titles or quiz options), shown before the response's own buttons.
            **args: Placeholder values; numbers are formatted the Indian way (1,00,000).

        Raises:
            KeyError: if the catalog has no response of that name.
        """
        script = _split(language)[1] or script
        code = self.resolve(language)
        template = self._locales[code].responses.get(response)
        if template is None:
            raise KeyError(response)
        values = {key: _display(value, code) for key, value in args.items()}
        text = fill(template["text"], values)
        buttons = [{"title": b["title"], "payload": b["payload"]} for b in buttons] + [
            {"title": fill(b["title"], values), "payload": fill_payload(b["payload"], values)}
            for b in template["buttons"]
        ]
        if template["language_buttons"]:
            buttons += self.language_buttons()
        if script == LATIN_SCRIPT:
            spellings = self._locales[code].latin_spellings
            text = to_latin(text, code, spellings)
            buttons = [b | {"title": to_latin(b["title"], code, spellings)} for b in buttons]
        return {"text": text, "buttons": buttons, "image": None, "elements": [],
                "attachments": [], "custom": {}}  # fmt: skip


def _display(value: Any, language: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value, language)
    return "" if value is None else str(value)


@lru_cache(maxsize=64)
def _number_locale(language: str) -> Locale:
    try:
        return Locale.parse(f"{language}_IN")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_IN")


def format_number(value: int | float, language: str) -> str:
    """A number as readers in India expect it (1,00,000), in Latin digits.

    Uses the language's Indian locale (hi_IN, ta_IN, ...) when Babel has one, else en_IN.
    """
    locale = _number_locale(_split(language)[0])
    return format_decimal(value, locale=locale, numbering_system="latn")


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The process-wide catalog, loaded and validated once."""
    return Catalog()


@lru_cache(maxsize=64)
def section_texts(section: str, code: str, directory: Path = LOCALES_DIR) -> dict[str, str]:
    """One language's texts of a top-level section of its locale file (``dashboard:``, …).

    Empty when the file or the section is missing; callers fall back to English key by key.
    """
    path = Path(directory) / f"{code}.yml"
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    texts = data.get(section) if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in texts.items()} if isinstance(texts, dict) else {}
