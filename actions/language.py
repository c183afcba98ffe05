"""Choose or change the conversation language (and Latin script for Hindi)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.base import say

LATIN_SUFFIX = "-Latn"


def parse_choice(value: str) -> tuple[str, str]:
    """Split a language choice such as `hi-Latn` into (language, script).

    Examples:
        >>> parse_choice("hi-Latn")
        ('hi', 'latin')
        >>> parse_choice("ta")
        ('ta', 'native')
    """
    value = value.strip()
    if value.lower().endswith(LATIN_SUFFIX.lower()):
        return value[: -len(LATIN_SUFFIX)].lower(), "latin"
    return value.lower(), "native"


class ActionChooseLanguage(Action):
    """Save the learner's language; without a language in the message, offer the choices."""

    def name(self) -> str:
        return "action_choose_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        requested = next(tracker.get_latest_entity_values("language"), None)
        if not requested:
            say(dispatcher, tracker, "utter_choose_language")
            return []
        language, script = parse_choice(str(requested))
        texts = services.catalog()
        if not texts.has(language):
            say(
                dispatcher,
                tracker,
                "utter_language_unsupported",
                requested=texts.native_name(language),
                available=", ".join(texts.native_name(code) for code in texts.languages()),
            )
            return []
        learner = await services.current_learner(tracker.sender_id)
        await services.in_thread(services.learners().set_language, learner.id, language, script)
        say(
            dispatcher,
            tracker,
            "utter_language_changed",
            language=language,
            script=script,
            language_name=texts.native_name(language),
        )
        # Channels that can adapt (the web chat sets the page language) read this.
        dispatcher.utter_message(json_message={"language": language, "script": script})
        return [SlotSet("language", language), SlotSet("script", script)]
