"""Rasa's NLG-server requests rendered from the catalog (actions/nlg.py)."""

from __future__ import annotations

import builtins
import copy
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from actions.nlg import render_nlg_request
from core.i18n import Catalog, get_catalog

CATALOG = get_catalog()
DEVANAGARI = re.compile(r"[\u0900-\u097f]")

#: What Rasa 3.6.21 posts (rasa.core.nlg.callback.nlg_request_format) after action_show_progress
#: called dispatcher.utter_message(response="utter_progress", courses=..., points=1500).
RASA_BODY: dict[str, Any] = {
    "response": "utter_progress",
    "id": None,
    "arguments": {
        "courses": "▶️ RTI: 2/5", "points": 1500, "text": None,
        "image": None, "json_message": {}, "buttons": [], "elements": [], "attachment": None,
        "custom": {}, "template": "utter_progress",
    },
    "tracker": {
        "sender_id": "3f2a9c1e-learner",
        "slots": {"language": "hi", "script": "native", "name": "Asha",
                  "session_started_metadata": None},
        "latest_message": {
            "intent": {"name": "my_progress", "confidence": 0.97},
            "entities": [],
            "text": "मेरी प्रगति दिखाओ",
            "message_id": "m1",
            "metadata": {"channel": "telegram", "channel_user_id": "4242"},
        },
        "latest_event_time": 1795346026.81,
        "followup_action": None,
        "paused": False,
        "events": [
            {"event": "action", "timestamp": 1795346026.81, "name": "action_session_start",
             "policy": None, "confidence": None, "action_text": None, "hide_rule_turn": False},
            {"event": "session_started", "timestamp": 1795346026.81},
            {"event": "user", "timestamp": 1795346026.81, "text": "मेरी प्रगति दिखाओ",
             "parse_data": {"intent": {"name": "my_progress", "confidence": 0.97}},
             "input_channel": "rest", "message_id": "m1"},
            {"event": "slot", "timestamp": 1795346026.81, "name": "language", "value": "hi"},
        ],
        "latest_input_channel": "rest",
        "active_loop": {},
        "latest_action": {"action_name": "action_show_progress"},
        "latest_action_name": "action_show_progress",
    },
    "channel": {"name": "rest"},
}  # fmt: skip


def _request(response: str, slots: dict[str, Any] | None = None, **arguments: Any) -> dict:
    body = copy.deepcopy(RASA_BODY)
    body["response"] = response
    body["arguments"] = {"text": None, "buttons": [], "template": response, **arguments}
    body["tracker"]["slots"] = {"session_started_metadata": None, **(slots or {})}
    return body


def _assert_rasa_accepts(rendered: dict[str, Any]) -> None:
    """The checks of Rasa 3.6's nlg_response_format_spec, plus JSON round trip."""
    assert isinstance(rendered["text"], str) and rendered["text"]
    assert isinstance(rendered["buttons"], list)
    assert all(set(b) == {"title", "payload"} for b in rendered["buttons"])
    assert rendered["image"] is None and rendered["elements"] == []
    assert rendered["attachments"] == [] and rendered["custom"] == {}
    assert json.loads(json.dumps(rendered)) == rendered


def test_a_real_rasa_request_round_trip() -> None:
    rendered = render_nlg_request(json.loads(json.dumps(RASA_BODY)), CATALOG)
    _assert_rasa_accepts(rendered)
    assert rendered["text"] == (
        "आपकी प्रगति (पाठ · क्विज़ के सर्वश्रेष्ठ अंक · कुल):\n▶️ RTI: 2/5\nकर्मा पॉइंट्स: 1,500"
    )
    assert [b["payload"] for b in rendered["buttons"]] == ["/start_lesson", "/browse_courses"]


def test_name_slot_becomes_name_suffix() -> None:
    greet = render_nlg_request(_request("utter_greet", {"language": "en", "name": "Asha"}), CATALOG)
    assert greet["text"].startswith("Namaste, Asha! I'm Karmabot")
    anonymous = render_nlg_request(
        _request("utter_greet", {"language": "en", "name": None}), CATALOG
    )
    assert anonymous["text"].startswith("Namaste! I'm Karmabot")


@pytest.mark.parametrize("slots", [{}, {"language": None, "script": None}, {"language": ""}])
def test_no_language_means_english(slots: dict[str, Any]) -> None:
    rendered = render_nlg_request(_request("utter_help", slots), CATALOG)
    assert rendered == get_catalog().render("utter_help", "en")


def test_a_body_without_tracker_or_arguments_still_renders() -> None:
    assert render_nlg_request({"response": "utter_thanks"}, CATALOG)["text"] == (
        "You're welcome! Happy learning."
    )
    odd = {"response": "utter_thanks", "arguments": None, "tracker": {"slots": None}}
    assert render_nlg_request(odd, CATALOG)["text"] == "You're welcome! Happy learning."


def test_arguments_win_over_slots() -> None:
    # action_choose_language has just switched to Tamil; its SlotSet is not applied yet.
    body = _request(
        "utter_language_changed",
        {"language": "en", "script": "native"},
        language="ta",
        script="native",
        language_name="தமிழ்",
    )
    rendered = render_nlg_request(body, CATALOG)
    assert rendered["text"] == "சரி — இனி உங்களுடன் தமிழ் மொழியில் பேசுவேன்."


def test_language_name_defaults_to_the_conversation_language() -> None:
    rendered = render_nlg_request(_request("utter_language_kept", {"language": "hi"}), CATALOG)
    assert rendered["text"] == "ठीक है, मैं हिन्दी में ही बात करता रहूँगा।"


@pytest.mark.parametrize(
    "slots", [{"language": "hi", "script": "latin"}, {"language": "hi-Latn", "script": None}]
)
def test_romanized_hindi(slots: dict[str, Any]) -> None:
    rendered = render_nlg_request(_request("utter_greet", {**slots, "name": "Asha"}), CATALOG)
    assert rendered["text"].startswith("namaste, Asha! main karmabot hoon")
    shown = rendered["text"] + "".join(b["title"] for b in rendered["buttons"])
    assert not DEVANAGARI.search(shown)


def test_unknown_response_falls_back_to_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="actions.nlg"):
        rendered = render_nlg_request(_request("utter_no_such_thing", {"language": "ta"}), CATALOG)
    assert rendered == get_catalog().render("utter_default", "ta")
    assert "utter_no_such_thing" in caplog.text


def test_message_parts_and_structured_slots_are_not_placeholders() -> None:
    body = _request(
        "utter_answer_document",
        {"language": "en", "answer": "from a slot", "session_started_metadata": {"a": 1}},
        answer="{text} {0.__class__}",
        source="RTI",
        custom={"x": 1},
    )
    text = render_nlg_request(body, CATALOG)["text"]
    assert text == "{text} {0.__class__}\n\n📎 RTI"


def test_offer_payload_gets_the_code_argument() -> None:
    body = _request("utter_offer_language", {"language": "en"}, language="hi", code="hi",
                    language_name="हिन्दी")  # fmt: skip
    rendered = render_nlg_request(body, CATALOG)
    assert rendered["buttons"][0]["payload"] == '/choose_language{"language":"hi"}'
    assert rendered["text"].startswith("आपने हिन्दी में लिखा है।")


def test_rendering_reads_no_files(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = Catalog()

    def no_io(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("file I/O while rendering")

    monkeypatch.setattr(builtins, "open", no_io)
    monkeypatch.setattr(Path, "read_text", no_io)
    for language in ("en", "hi", "hi-Latn", "ta"):
        body = _request("utter_welcome_new", {"language": language, "name": "Ravi"})
        _assert_rasa_accepts(render_nlg_request(body, catalog))


class _NoPeeking(dict[str, Any]):
    """A tracker state that fails the test when anything but its slots is read."""

    def get(self, key: str, default: Any = None) -> Any:
        assert key == "slots", f"the renderer read tracker[{key!r}]"
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        assert key == "slots", f"the renderer read tracker[{key!r}]"
        return super().__getitem__(key)


def test_the_renderer_reads_only_the_trackers_slots() -> None:
    """bot/rasa_patches.py `_current_turn_to_nlg_server` sends the current turn's events only;
    rendering must not depend on any event, or on anything of the tracker but its slots."""
    full = render_nlg_request(json.loads(json.dumps(RASA_BODY)), CATALOG)
    body = json.loads(json.dumps(RASA_BODY))
    body["tracker"] = _NoPeeking(slots=body["tracker"]["slots"], events=[])
    assert render_nlg_request(body, CATALOG) == full
