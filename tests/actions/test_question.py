"""Content questions: until the knowledge base lands, an honest answer that echoes the question."""

from __future__ import annotations

from actions.question import ECHO_CHARS, ActionAnswerQuestion
from learning.repository import InMemoryLearnerRepository
from tests.actions.helpers import rendered, run, tracker


async def test_the_question_is_echoed_and_never_answered(
    repo: InMemoryLearnerRepository,
) -> None:
    messages, events = await run(
        ActionAnswerQuestion(), tracker("x", text="  RTI kya hai ", intent="ask_question")
    )
    assert [m["text"] for m in messages] == [
        rendered("utter_cannot_answer_yet", question="RTI kya hai")
    ]
    assert events == []


async def test_long_questions_are_shortened_for_the_echo(repo: InMemoryLearnerRepository) -> None:
    messages, _ = await run(ActionAnswerQuestion(), tracker("x", text="q" * 1000))
    assert messages[0]["text"] == rendered(
        "utter_cannot_answer_yet", question="q" * (ECHO_CHARS - 1) + "…"
    )
