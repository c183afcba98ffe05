"""Questions about course content, answered by the knowledge base with a citation.

The question is answered wherever it comes in the conversation, mid-lesson or mid-quiz too;
nothing about the learner's place changes. The course the learner is taking is preferred when
it answers about as well as the rest of the content. Below the knowledge base's confidence
threshold the answer is an honest "I don't know", and the question is logged for content
owners.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.base import say

if TYPE_CHECKING:
    from knowledge.documents import Answer

logger = logging.getLogger(__name__)


def _answer(question: str, language: str, learner_id: str) -> Answer:
    """The knowledge base's answer, preferring the course the learner is taking (one thread hop)."""
    course = services.journey().records.active_course(learner_id)
    return services.knowledge().ask(question, language, prefer_course=course)


class ActionAnswerQuestion(Action):
    """Answer from the course content, cited, or say that the content has no answer."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = str(tracker.latest_message.get("text") or "").strip()
        if not question or question.startswith("/"):
            say(dispatcher, tracker, "utter_ask_something")
            return []
        learner = await services.current_learner(tracker.sender_id)
        try:
            answer = await services.in_thread(_answer, question, learner.language, learner.id)
        except Exception:  # a broken store must not break the conversation
            logger.exception("the knowledge base failed on %r", question[:200])
            say(dispatcher, tracker, "utter_dont_know")
            return []
        if not answer.confident:
            logger.info("no answer for %s: %r", tracker.sender_id, question[:500])
            say(dispatcher, tracker, "utter_dont_know")
            return []
        source = services.citation_line(answer, learner.language)
        if answer.lesson:
            say(
                dispatcher,
                tracker,
                "utter_answer",
                answer=answer.text,
                source=source,
                lesson_ref="/".join(answer.lesson),
            )
        else:
            say(dispatcher, tracker, "utter_answer_document", answer=answer.text, source=source)
        return []
