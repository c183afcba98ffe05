"""A certificate's wording comes from the locale catalog, in the learner's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from core.i18n import LOCALES_DIR
from learning.certificate_text import KEYS, certificate_text, issue_date, verify_url
from learning.schedule import learner_zone

FIELD = re.compile(r"\{(\w+)\}")


def section(path: Path) -> dict[str, str]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")).get("certificate") or {})


@pytest.mark.parametrize("path", sorted(LOCALES_DIR.glob("*.yml")), ids=lambda p: p.stem)
def test_each_locale_words_the_certificate_with_englishs_keys_and_placeholders(
    path: Path,
) -> None:
    english, words = section(LOCALES_DIR / "en.yml"), section(path)
    assert set(english) == set(KEYS)
    assert set(words) <= set(KEYS), path.name
    for key, text in words.items():
        assert set(FIELD.findall(text)) == set(FIELD.findall(english[key])), (path.name, key)


@pytest.mark.parametrize(
    ("language", "shown", "title"),
    [
        ("en", "en", "Certificate of Completion"),
        ("hi", "hi", "पूर्णता प्रमाणपत्र"),
        ("hi-IN", "hi", "पूर्णता प्रमाणपत्र"),
        ("ta", "ta", "நிறைவுச் சான்றிதழ்"),
        ("bn", "bn", "সমাপ্তির শংসাপত্র"),
        ("te", "en", "Certificate of Completion"),  # no catalog yet: English
        (None, "en", "Certificate of Completion"),
    ],
)
def test_the_wording_is_in_the_learners_language_else_english(
    language: str | None, shown: str, title: str
) -> None:
    words = certificate_text(language)
    assert words.language == shown and words.text("title") == title
    assert "KM3P7QX9TR" in words.text("code", code="KM3P7QX9TR")


def test_hindi_in_latin_letters_is_romanized_with_the_catalogs_spellings() -> None:
    for words in (certificate_text("hi-Latn"), certificate_text("hi", "latin")):
        closing = words.text("closing", date="3 December 2025")
        assert words.language == "hi-Latn" and not re.search("[\u0900-\u097f]", closing)
        assert closing.startswith("3 December 2025 ko mission karmayogi")


def test_a_key_a_locale_leaves_out_is_printed_in_english(tmp_path: Path) -> None:
    (tmp_path / "en.yml").write_text(
        "certificate:\n  title: Certificate\n  intro: This is to certify that\n",
        encoding="utf-8",
    )
    (tmp_path / "hi.yml").write_text("certificate:\n  title: प्रमाणपत्र\n", encoding="utf-8")
    words = certificate_text("hi", directory=tmp_path)
    assert (words.text("title"), words.text("intro")) == ("प्रमाणपत्र", "This is to certify that")


def test_dates_are_written_the_way_the_language_writes_them() -> None:
    when = datetime(2025, 12, 3, 10, 30, tzinfo=UTC)
    assert issue_date(when, "en") == "3 December 2025"
    assert issue_date(when, "hi") == "3 दिसंबर 2025"
    assert "டிசம்பர்" in issue_date(when, "ta") and "ডিসেম্বর" in issue_date(when, "bn")
    assert issue_date(when, "hi-Latn") == "3 December 2025"


def test_the_date_is_the_learners_calendar_day() -> None:
    late = datetime(2025, 12, 3, 20, 15, tzinfo=UTC)  # 01:45 on 4 December in India
    assert issue_date(late, "en", learner_zone(None)) == "4 December 2025"
    assert issue_date(late, "en", learner_zone("Europe/London")) == "3 December 2025"


def test_the_verification_link_is_under_the_public_url() -> None:
    url = verify_url("https://karmabot.example.gov.in/", "KM3P7QX9TR")
    assert url == "https://karmabot.example.gov.in/certificates/verify/KM3P7QX9TR"
