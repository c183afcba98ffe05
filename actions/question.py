"""Questions about course content, answered by the knowledge base."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import say

logger = logging.getLogger(__name__)

#: How much of the question is echoed back to the learner.
ECHO_CHARS = 200


class ActionAnswerQuestion(Action):
    """Hand the question to the knowledge base.

    The knowledge base is not connected in this release, so the action says honestly that it
    cannot answer yet, echoes the question, and logs it for content owners.
    """

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = (tracker.latest_message.get("text") or "").strip()
        logger.info("unanswered question from %s: %r", tracker.sender_id, question[:500])
        echo = question if len(question) <= ECHO_CHARS else question[: ECHO_CHARS - 1] + "…"
        say(dispatcher, tracker, "utter_cannot_answer_yet", question=echo)
        return []
