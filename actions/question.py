"""Questions about course content, answered by the knowledge base with a citation.

The question is answered wherever it comes in the conversation, mid-lesson or mid-quiz too;
nothing about the learner's place changes. The course the learner is taking is preferred when
it answers about as well as the rest of the content. Below the knowledge base's confidence
threshold the answer is an honest "I don't know", and the question is logged for content
owners.

A message the NLU could not place (`nlu_fallback`, or `out_of_scope`) is tried against the
knowledge base too (`ActionTryKnowledge`): a confident answer is given with its citation,
anything else gets the usual "didn't understand" (or "can't help with that") reply.
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker

from actions.base import LearnerAction, text_of
from actions.services import ActionServices
from knowledge.answer import Answer
from knowledge.gaps import normalize_question
from learning.dashboard_insight_gaps import GapQuestions
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
        answer = ask(self.services, learner, question, log_gap=True)
        if answer is None or not answer.confident:
            # No learner id and no question text at INFO: questions can carry personal details.
            logger.info("no answer (%d characters, %s)", len(question), learner.language)
            logger.debug("unanswered question: %r", question[:500])
            return [Reply("utter_dont_know")]
        return [answer_reply(self.services, learner, answer)]


class ActionTryKnowledge(LearnerAction):
    """A message the NLU could not place: answered from the content when the knowledge base
    is confident, else the fallback reply (with the help button)."""

    action_name = "action_try_knowledge"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        otherwise = Reply("utter_out_of_scope" if intent == "out_of_scope" else "utter_default")
        question = text_of(tracker)
        if not question or question.startswith("/"):
            return [otherwise]
        # Only unplaced messages are worth a content team's look; off-topic chat is not.
        answer = ask(self.services, learner, question, log_gap=intent != "out_of_scope")
        if answer is None or not answer.confident:
            return [otherwise]
        return [answer_reply(self.services, learner, answer)]


def ask(
    services: ActionServices, learner: Learner, question: str, *, log_gap: bool
) -> Answer | None:
    """The knowledge base's answer, preferring the learner's course; None when it failed."""
    try:
        course = services.journey.records.active_course(learner.id)
        answer = services.knowledge().ask(
            question, learner.language, prefer_course=course, log_gap=log_gap
        )
    except Exception:  # a broken store must not break the conversation
        logger.exception("the knowledge base failed on %r", question[:200])
        return None
    if log_gap and answer.gap and services.gaps is not None:
        record_gap(services.gaps, learner, question, answer.language, course)
    return answer


def record_gap(
    gaps: GapQuestions, learner: Learner, question: str, language: str, course: str | None
) -> None:
    """Count the unanswered question under the learner's organisation (not their id), for
    their supervisors' dashboard; a failure is logged, never shown to the learner."""
    try:
        gaps.record(question, normalize_question(question), language, course, learner.organisation)
    except Exception:
        logger.exception("could not record an unanswered question")


def answer_reply(services: ActionServices, learner: Learner, answer: Answer) -> Reply:
    """The cited answer: with a "Read the lesson" button when it came from a lesson."""
    source = services.citation_line(answer, learner.language)
    if answer.lesson:
        args = {"answer": answer.text, "source": source, "lesson_ref": "/".join(answer.lesson)}
        return Reply("utter_answer", args)
    return Reply("utter_answer_document", {"answer": answer.text, "source": source})
