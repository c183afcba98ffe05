"""Questions through the whole stack: answered from the course content with a citation, in the
learner's language and script, anywhere in a conversation; "I don't know" when the content
has no answer."""

from __future__ import annotations

import pytest

from tests.connectors.test_course_e2e import tap
from tests.connectors.test_gateway_e2e import Learner, has_devanagari, payloads, texts

pytestmark = pytest.mark.stack


def test_romanized_hindi_question_gets_a_cited_hindi_answer_and_the_lesson(stack: str) -> None:
    learner = Learner(stack)
    learner.say('/choose_language{"language":"hi"}')
    answer = learner.say("70:20:10 model kya hai")
    assert "70" in texts(answer) and has_devanagari(texts(answer))
    assert "📎 मिशन कर्मयोगी और iGOT से परिचय › सीखने का 70:20:10 मॉडल" in texts(answer)
    lesson = tap(learner, answer, "/read_lesson")
    assert "📘 सीखने का 70:20:10 मॉडल (1/" in texts(lesson)


def test_a_question_mid_quiz_leaves_the_quiz_where_it_was(stack: str) -> None:
    learner = Learner(stack)
    messages = learner.say('/enroll_course{"course":"demo"}')
    for _ in range(4):
        messages = learner.say("next")
    question = next(line for line in texts(messages).splitlines() if line.startswith("Question"))
    answer = learner.say("What is the 70:20:10 model of learning?")
    assert "70:20:10" in texts(answer)
    assert any(p.startswith("/read_lesson") for p in payloads(answer))
    assert question in texts(learner.say("continue"))


def test_no_answer_in_the_content_is_an_honest_dont_know(stack: str) -> None:
    learner = Learner(stack)
    reply = learner.say("What is the leave travel concession for officers?")
    assert "I couldn't find the answer to that in the course content" in texts(reply)
