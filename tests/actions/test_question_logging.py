"""An unanswered question is logged without the learner's id, and its text only at DEBUG."""

from __future__ import annotations

import logging
from dataclasses import replace
from types import SimpleNamespace

import pytest

from actions.question import ActionAnswerQuestion
from actions.services import ActionServices
from learning.repository import InMemoryLearnerRepository
from tests.actions.helpers import rendered, run, tracker
from tests.actions.test_question import SAMPLE_LIBRARY, FakeKnowledge, FakeRecords

QUESTION = "my pension number is 4411-2290, why is it not credited?"


async def test_no_learner_id_and_no_question_text_at_info(
    services: ActionServices, repo: InMemoryLearnerRepository, caplog: pytest.LogCaptureFixture
) -> None:
    journey = SimpleNamespace(records=FakeRecords(), library=SAMPLE_LIBRARY)
    asking = replace(services, journey=journey, knowledge=lambda: FakeKnowledge())  # type: ignore[arg-type]
    learner = repo.get_or_create("telegram", "98765")
    caplog.set_level(logging.DEBUG, logger="actions.question")
    messages, _ = await run(ActionAnswerQuestion(asking), tracker(learner.id, text=QUESTION))
    assert [m["text"] for m in messages] == [rendered("utter_dont_know")]
    records = [r for r in caplog.records if r.name == "actions.question"]
    info = [r.getMessage() for r in records if r.levelno >= logging.INFO]
    assert info == [f"no answer ({len(QUESTION)} characters, en)"]
    for record in records:
        assert learner.id not in record.getMessage() and "98765" not in record.getMessage()
    debug = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    assert any("4411-2290" in line for line in debug)  # the text, for a developer who asks
