"""The localized catalog (core/i18n.py and core/locales/*.yml)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.i18n import LOCALES_DIR, Catalog, CatalogError, format_number, get_catalog

LOCALE_FILES = sorted(LOCALES_DIR.glob("*.yml"))
FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
TAMIL = re.compile(r"[\u0b80-\u0bff]")
NLG_KEYS = {"text", "buttons", "image", "elements", "attachments", "custom"}


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _fields(response: dict[str, Any]) -> set[str]:
    parts = [response["text"]] + [b["title"] + b["payload"] for b in response.get("buttons", [])]
    return {name for part in parts for name in FIELD.findall(part)}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return get_catalog()


# --- the locale files themselves ---------------------------------------------------------


def test_there_are_english_hindi_and_tamil_catalogs() -> None:
    assert {p.stem for p in LOCALE_FILES} >= {"en", "hi", "ta"}


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: p.name)
def test_every_locale_matches_english(path: Path) -> None:
    english, other = _load(LOCALES_DIR / "en.yml"), _load(path)
    assert other["language"] == path.stem
    assert other.get("name")
    assert other["responses"].keys() == english["responses"].keys()
    for key, reference in english["responses"].items():
        theirs = other["responses"][key]
        payloads = [b["payload"] for b in theirs.get("buttons", [])]
        assert payloads == [b["payload"] for b in reference.get("buttons", [])], key
        assert _fields(theirs) == _fields(reference), key
        assert theirs.get("language_buttons", False) == reference.get("language_buttons", False)


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: p.name)
def test_button_titles_fit_whatsapp(path: Path) -> None:
    for key, response in _load(path)["responses"].items():
        for button in response.get("buttons", []):
            assert len(button["title"]) <= 20, (key, button["title"])


def test_catalog_has_the_responses_the_actions_use(catalog: Catalog) -> None:
    used = {
        "utter_greet", "utter_welcome_new", "utter_choose_language", "utter_language_changed",
        "utter_language_unsupported", "utter_offer_language", "utter_language_kept",
        "utter_help", "utter_goodbye", "utter_thanks", "utter_bot_identity",
        "utter_out_of_scope", "utter_default", "utter_no_courses", "utter_no_active_lesson",
        "utter_no_active_quiz", "utter_quiz_answer_unclear", "utter_progress",
        "utter_progress_empty", "utter_reminders_stopped",
        "utter_reminders_resumed", "utter_unsupported_message", "utter_message_too_long",
        "utter_error", "utter_courses", "utter_enrolled", "utter_already_enrolled",
        "utter_unknown_course", "utter_no_active_course", "utter_not_enrolled",
        "utter_lesson_part", "utter_lesson_done", "utter_quiz_intro", "utter_quiz_question",
        "utter_answer_correct", "utter_answer_wrong", "utter_answer_first",
        "utter_invalid_answer", "utter_stale_button", "utter_quiz_passed",
        "utter_quiz_passed_last", "utter_quiz_failed", "utter_course_complete",
        "utter_lesson_excerpt", "utter_back_to_course", "utter_unknown_lesson",
        "utter_answer", "utter_answer_document", "utter_dont_know", "utter_ask_something",
        "utter_private_chat_only", "utter_slow_down", "utter_invite_linked",
        "utter_invite_invalid", "utter_button_used", "utter_course_complete_confirm_name",
        "utter_course_complete_ask_name", "utter_ask_full_name", "utter_name_invalid",
        "utter_certificate_issued", "utter_name_saved", "utter_name_missing",
        # Unprompted messages (the worker) and their answers.
        "nudge_inactive", "nudge_deadline", "nudge_deadline_today", "nudge_review",
        "utter_review_correct", "utter_review_learned", "utter_review_wrong",
        "utter_review_stale", "utter_course_already_done", "campaign_reminder",
        "campaign_deadline", "campaign_new_course", "campaign_custom", "campaign_custom_plain",
        "campaign_sender_default", "utter_not_supervisor",
        # A supervisor's menu and quick campaigns in chat.
        "utter_supervisor_menu", "utter_campaign_preview", "utter_campaign_scheduled",
        "utter_campaign_dropped", "utter_campaign_stale", "utter_campaign_list",
        "utter_campaign_list_empty", "campaign_text_inactive", "campaign_label_inactive",
    }  # fmt: skip
    assert set(catalog.response_names()) == used


# --- rendering ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "hi", "hi-Latn", "ta"])
def test_every_response_renders_in_every_language(catalog: Catalog, language: str) -> None:
    for response in catalog.response_names():
        rendered = catalog.render(response, language)
        assert set(rendered) == NLG_KEYS
        assert rendered["text"].strip(), response
        assert not FIELD.search(rendered["text"]), response  # missing values render as ""
        for button in rendered["buttons"]:
            assert button["title"] and button["payload"].startswith("/")
            assert not FIELD.search(button["title"] + button["payload"])
        json.dumps(rendered)


def test_each_language_is_written_in_its_script(catalog: Catalog) -> None:
    assert catalog.render("utter_greet", "en", name_suffix="")["text"].startswith("Namaste!")
    assert DEVANAGARI.search(catalog.render("utter_greet", "hi")["text"])
    tamil = catalog.render("utter_greet", "ta")
    assert TAMIL.search(tamil["text"]) and all(TAMIL.search(b["title"]) for b in tamil["buttons"])


def test_placeholders_are_filled(catalog: Catalog) -> None:
    text = catalog.render("utter_greet", "hi", name_suffix=", Asha")["text"]
    assert text.startswith("नमस्ते, Asha!")
    too_long = catalog.render("utter_message_too_long", "ta", limit=2000)["text"]
    assert "2,000" in too_long


@pytest.mark.parametrize(
    ("requested", "expected"),
    [("hi", "hi"), ("hi-IN", "hi"), ("hi_IN", "hi"), ("HI", "hi"), ("ta-IN", "ta"),
     ("en-GB", "en"), ("fr", "en"), ("", "en"), (None, "en")],
)  # fmt: skip
def test_language_fallback(catalog: Catalog, requested: str | None, expected: str) -> None:
    assert catalog.resolve(requested) == expected
    rendered = catalog.render("utter_help", requested)
    assert rendered == catalog.render("utter_help", expected)


def test_unknown_response_raises_key_error(catalog: Catalog) -> None:
    with pytest.raises(KeyError):
        catalog.render("utter_does_not_exist", "hi")


def test_argument_values_are_never_evaluated(catalog: Catalog) -> None:
    hostile = "{0.__class__} {answer} {points!r} {name_suffix:>99}"
    text = catalog.render("utter_answer_document", "en", answer=hostile, source="x")["text"]
    assert text.startswith(hostile)


def test_missing_arguments_render_empty(catalog: Catalog) -> None:
    text = catalog.render("utter_progress", "en", points=7)["text"]
    assert "overall):\n\nKarma Points: 7" in text
    assert catalog.render("utter_greet", "en")["text"].startswith("Namaste!")


def test_placeholders_are_filled_inside_payloads_as_json(catalog: Catalog) -> None:
    rendered = catalog.render("utter_offer_language", "hi", code="ta", language_name="தமிழ்")
    assert [b["payload"] for b in rendered["buttons"]] == [
        '/choose_language{"language":"ta"}',
        "/keep_language",
    ]
    sneaky = catalog.render("utter_offer_language", "en", code='x"},"intent":"y')
    payload = sneaky["buttons"][0]["payload"]
    assert json.loads(payload.removeprefix("/choose_language")) == {"language": 'x"},"intent":"y'}


def test_numbers_use_indian_grouping(catalog: Catalog) -> None:
    for language in ("en", "hi", "ta", "hi-Latn", "bn", "xx"):
        assert format_number(100000, language) == "1,00,000"
    assert format_number(1234567.5, "hi") == "12,34,567.5"
    text = catalog.render("utter_progress_empty", "hi", points=250000)["text"]
    assert "2,50,000" in text
    assert "True" in catalog.render("utter_progress_empty", "en", points=True)["text"]


# --- languages ---------------------------------------------------------------------------


def test_language_buttons(catalog: Catalog) -> None:
    rendered = catalog.render("utter_choose_language", "en")
    assert rendered["buttons"] == [
        {"title": "English", "payload": '/choose_language{"language":"en"}'},
        {"title": "বাংলা", "payload": '/choose_language{"language":"bn"}'},
        {"title": "हिन्दी", "payload": '/choose_language{"language":"hi"}'},
        {"title": "Hindi (Roman)", "payload": '/choose_language{"language":"hi-Latn"}'},
        {"title": "தமிழ்", "payload": '/choose_language{"language":"ta"}'},
    ]
    for response in ("utter_welcome_new", "utter_language_unsupported"):
        assert catalog.render(response, "ta")["buttons"] == rendered["buttons"]
    assert catalog.render("utter_help", "en")["buttons"][2]["payload"] == "/choose_language"


def test_languages_and_names(catalog: Catalog) -> None:
    assert catalog.languages()[0] == "en"
    assert set(catalog.languages()) >= {"en", "hi", "ta", "bn"}
    assert catalog.native_name("hi") == "हिन्दी"
    assert catalog.native_name("ta") == "தமிழ்"
    assert catalog.native_name("hi-Latn") == "Hindi (Roman)"
    assert catalog.native_name("bn") == "বাংলা"
    assert catalog.native_name("mr") == "मराठी"  # not in the catalog: from Babel
    assert catalog.native_name("zz") == "zz"
    assert catalog.has("hi") and catalog.has("hi-IN") and catalog.has("hi-Latn")
    assert catalog.has("bn") and not catalog.has("mr") and not catalog.has("ta-Latn")


def test_hindi_in_latin_script_has_no_devanagari(catalog: Catalog) -> None:
    args = {"language_name": "हिन्दी", "requested": "বাংলা", "question": "मिशन क्या है?"}
    for response in catalog.response_names():
        native = catalog.render(response, "hi", **args)
        for latin in (
            catalog.render(response, "hi-Latn", **args),
            catalog.render(response, "hi", script="latin", **args),
        ):
            shown = latin["text"] + "".join(b["title"] for b in latin["buttons"])
            assert not DEVANAGARI.search(shown), response
            assert [b["payload"] for b in latin["buttons"]] == [
                b["payload"] for b in native["buttons"]
            ]
    greet = catalog.render("utter_greet", "hi-Latn", name_suffix=", Asha")
    assert greet["text"].startswith("namaste, Asha! main karmabot hoon")
    assert greet["buttons"][0]["title"] == "course dekhein"


def test_latin_script_leaves_other_languages_alone(catalog: Catalog) -> None:
    assert catalog.render("utter_help", "ta", script="latin") == catalog.render("utter_help", "ta")
    assert catalog.render("utter_help", "en", script="latin") == catalog.render("utter_help", "en")


def test_get_catalog_is_loaded_once() -> None:
    assert get_catalog() is get_catalog()


# --- validation --------------------------------------------------------------------------


def _copy(tmp_path: Path, *codes: str) -> Path:
    for code in codes:
        shutil.copy(LOCALES_DIR / f"{code}.yml", tmp_path / f"{code}.yml")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_adding_a_language_is_adding_a_file(tmp_path: Path) -> None:
    directory = _copy(tmp_path, "en")
    bengali = (LOCALES_DIR / "en.yml").read_text(encoding="utf-8")
    bengali = bengali.replace("language: en\nname: English", "language: bn")
    (directory / "bn.yml").write_text(bengali, encoding="utf-8")
    catalog = Catalog(directory)
    assert catalog.languages() == ["en", "bn"]
    assert [b["title"] for b in catalog.language_buttons()] == ["English", "বাংলা"]


def test_no_latin_button_without_hindi(tmp_path: Path) -> None:
    catalog = Catalog(_copy(tmp_path, "en", "ta"))
    payloads = [b["payload"] for b in catalog.render("utter_choose_language", "en")["buttons"]]
    assert payloads == ['/choose_language{"language":"en"}', '/choose_language{"language":"ta"}']


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("payload: /my_progress}", "payload: /progress}", "utter_greet"),
        ('{title: "हाँ"', '{title: "हाँ{name_suffix}"', "utter_offer_language"),
        ("{limit}", "{limits}", "utter_message_too_long"),
        ("  utter_thanks:\n", "  utter_thank_you:\n", "utter_thank_you"),
        ("language: hi\n", "language: hindi\n", "does not match the file name"),
        ('{title: "भाषा"', '{title: "भाषा बदलने के लिए यहाँ दबाएँ"', "utter_help"),
        ("    language_buttons: true\n", "    language_buttons: yes please\n", "language_buttons"),
        ('    text: "अपनी भाषा चुनें:"\n', '    txt: "अपनी भाषा चुनें:"\n', "text"),
        ("responses:\n", "responses: [\n", "not valid YAML"),
    ],
)
def test_broken_locales_are_named_in_the_error(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    directory = _copy(tmp_path, "en", "hi")
    _edit(directory / "hi.yml", old, new)
    with pytest.raises(CatalogError, match=r"hi\.yml") as error:
        Catalog(directory)
    assert message in str(error.value)


def test_romanized_titles_must_fit_too(tmp_path: Path) -> None:
    directory = _copy(tmp_path, "en", "hi")
    _edit(directory / "hi.yml", '{title: "आगे पढ़ें"', '{title: "पढ़ाई जारी रखें"')
    with pytest.raises(CatalogError, match="padhaai jaari rakhein"):
        Catalog(directory)


def test_english_is_required(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"en\.yml"):
        Catalog(_copy(tmp_path, "hi"))
