"""Learners switch reminders off and on; the choice is stored."""

from __future__ import annotations

from actions.reminders import ActionResumeReminders, ActionStopReminders
from actions.services import ActionServices
from learning.repository import InMemoryLearnerRepository
from tests.actions.helpers import rendered, run, tracker


async def test_stop_then_resume(repo: InMemoryLearnerRepository, services: ActionServices) -> None:
    learner = repo.get_or_create("whatsapp", "919800000000")
    stopped, _ = await run(ActionStopReminders(services), tracker(learner.id))
    assert stopped[0]["text"] == rendered("utter_reminders_stopped")
    assert repo.get(learner.id).reminders_enabled is False  # type: ignore[union-attr]
    resumed, _ = await run(ActionResumeReminders(services), tracker(learner.id))
    assert resumed[0]["text"] == rendered("utter_reminders_resumed")
    assert repo.get(learner.id).reminders_enabled is True  # type: ignore[union-attr]
