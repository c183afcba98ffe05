"""Session start loads the learner's choices; greeting depends on whether they chose a language."""

from __future__ import annotations

from actions.services import ActionServices
from actions.session import ActionGreet, ActionSessionStart
from learning.repository import InMemoryLearnerRepository
from tests.actions.helpers import rendered, run, tracker


async def test_session_start_restores_language_script_and_name(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("telegram", "42", name="Asha")
    repo.set_language(learner.id, "hi", "latin")
    _, events = await run(ActionSessionStart(services), tracker(learner.id))
    assert events[0]["event"] == "session_started"
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"language": "hi", "script": "latin", "name": "Asha"}
    assert events[-1] == {**events[-1], "event": "action", "name": "action_listen"}


async def test_a_sender_unknown_to_the_store_becomes_a_learner(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    await run(ActionSessionStart(services), tracker("rest-client-7"))
    await run(ActionSessionStart(services), tracker("rest-client-7"))
    assert repo.count() == 1
    assert repo.get_by_channel("rest", "rest-client-7") is not None


async def test_new_learners_are_asked_for_a_language_returning_ones_get_the_menu(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("web", "new")
    first, _ = await run(ActionGreet(services), tracker(learner.id))
    assert first[0]["text"] == rendered("utter_welcome_new")
    repo.set_language(learner.id, "ta")
    again, _ = await run(ActionGreet(services), tracker(learner.id, slots={"language": "ta"}))
    assert again[0]["text"] == rendered("utter_greet", "ta")
