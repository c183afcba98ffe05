"""Choose or change the conversation language (and Latin script for Hindi)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.base import LearnerAction, Outcome, entity
from learning.replies import Reply
from learning.repository import Learner

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


class ActionChooseLanguage(LearnerAction):
    """Save the learner's language; without a language in the message, offer the choices."""

    action_name = "action_choose_language"

    def turn(self, learner: Learner, tracker: Tracker) -> Outcome | list[Reply]:
        requested = entity(tracker, "language")
        if not requested:
            return [Reply("utter_choose_language")]
        language, script = parse_choice(requested)
        texts = self.services.catalog
        if not texts.has(language):
            available = ", ".join(texts.native_name(code) for code in texts.languages())
            args = {"requested": texts.native_name(language), "available": available}
            return [Reply("utter_language_unsupported", args)]
        self.services.learners.set_language(learner.id, language, script)
        args = {
            "language": language,
            "script": script,
            "language_name": texts.native_name(language),
        }
        return Outcome(
            replies=[Reply("utter_language_changed", args)],
            events=[SlotSet("language", language), SlotSet("script", script)],
            # Channels that can adapt (the web chat sets the page language) read this.
            payloads=[{"language": language, "script": script}],
        )
