"""Questions about course content, answered by the knowledge base with a citation.

The question is answered wherever it comes in the conversation, mid-lesson or mid-quiz too;
nothing about the learner's place changes. The course the learner is taking is preferred when
it answers about as well as the rest of the content. Below the knowledge base's confidence
threshold the answer is an honest "I don't know", and the question is logged for content
owners.
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker

from actions.base import LearnerAction, text_of
from learning.replies import Reply
from learning.repository import Learner

logger = logging.getLogger(__name__)


class ActionAnswerQuestion(LearnerAction):
    """Answer from the course content, cited, or say that the content has no answer."""

    action_name = "action_answer_question"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        question = text_of(tracker)
        if not question or question.startswith("/"):
            return [Reply("utter_ask_something")]
        services = self.services
        try:
            course = services.journey.records.active_course(learner.id)
            answer = services.knowledge().ask(question, learner.language, prefer_course=course)
        except Exception:  # a broken store must not break the conversation
            logger.exception("the knowledge base failed on %r", question[:200])
            return [Reply("utter_dont_know")]
        if not answer.confident:
            logger.info("no answer for %s: %r", tracker.sender_id, question[:500])
            return [Reply("utter_dont_know")]
        source = services.citation_line(answer, learner.language)
        if answer.lesson:
            args = {"answer": answer.text, "source": source, "lesson_ref": "/".join(answer.lesson)}
            return [Reply("utter_answer", args)]
        return [Reply("utter_answer_document", {"answer": answer.text, "source": source})]
