"""Content questions: until the knowledge base lands, an honest answer that echoes the question."""

from __future__ import annotations

from actions.progress import ActionShowProgress
from actions.question import ECHO_CHARS, ActionAnswerQuestion
from learning.repository import InMemoryLearnerRepository
from tests.actions.helpers import run, tracker


async def test_the_question_is_echoed_and_never_answered(
    repo: InMemoryLearnerRepository,
) -> None:
    messages, events = await run(
        ActionAnswerQuestion(), tracker("x", text="  RTI kya hai ", intent="ask_question")
    )
    assert messages == [{**messages[0], "response": "utter_cannot_answer_yet",
                         "question": "RTI kya hai"}]  # fmt: skip
    assert events == []


async def test_long_questions_are_shortened_for_the_echo(repo: InMemoryLearnerRepository) -> None:
    messages, _ = await run(ActionAnswerQuestion(), tracker("x", text="q" * 1000))
    assert len(messages[0]["question"]) == ECHO_CHARS


async def test_progress_of_a_new_learner_is_empty_with_zero_points(
    repo: InMemoryLearnerRepository,
) -> None:
    learner = repo.get_or_create("web", "p")
    messages, _ = await run(ActionShowProgress(), tracker(learner.id))
    assert messages[0]["response"] == "utter_progress_empty" and messages[0]["points"] == 0
