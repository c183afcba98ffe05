"""The one action base: a failing service becomes `utter_error`; every domain action is served."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from types import SimpleNamespace

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions.lesson import ActionNextStep
from actions.reminders import ActionStopReminders
from actions.server import register_actions
from actions.services import ActionServices
from core.settings import PROJECT_ROOT
from learning.replies import Reply
from learning.repository import InMemoryLearnerRepository, Learner
from tests.actions.helpers import rendered, run, tracker


class BrokenStore(InMemoryLearnerRepository):
    """Finds learners, then fails on every write, as a database that went away would."""

    def set_reminders(self, learner_id: str, enabled: bool, source: str = "chat") -> Learner:
        raise OSError("disk I/O error")


async def test_a_store_that_raises_gives_utter_error_in_the_learners_language(
    services: ActionServices, caplog: pytest.LogCaptureFixture
) -> None:
    store = BrokenStore()
    learner = store.get_or_create("web", "asha")
    store.set_language(learner.id, "hi")
    broken = replace(services, learners=store)
    with caplog.at_level(logging.ERROR):
        messages, events = await run(
            ActionStopReminders(broken), tracker(learner.id, slots={"language": "hi"})
        )
    assert [m["text"] for m in messages] == [rendered("utter_error", "hi")]
    assert events == []
    failure = next(r for r in caplog.records if "action_stop_reminders failed" in r.getMessage())
    assert failure.exc_info is not None and "disk I/O error" in str(failure.exc_info[1])


async def test_a_journey_that_raises_gives_utter_error(services: ActionServices) -> None:
    def explode(*_: object) -> list[Reply]:
        raise RuntimeError("boom")

    learner = services.learners.get_or_create("web", "ravi")
    broken = replace(services, journey=SimpleNamespace(next_step=explode))  # type: ignore[arg-type]
    messages, _ = await run(ActionNextStep(broken), tracker(learner.id))
    assert [m["text"] for m in messages] == [rendered("utter_error")]


async def test_a_failing_action_still_ends_the_form_it_interrupted(
    services: ActionServices,
) -> None:
    store = BrokenStore()
    learner = store.get_or_create("web", "form")
    broken = replace(services, learners=store)
    tap = tracker(learner.id, "/stop_reminders", "stop_reminders", active_loop="name_form")
    messages, events = await run(ActionStopReminders(broken), tap)
    assert [m["text"] for m in messages] == [rendered("utter_error")]
    assert [e["event"] for e in events] == ["active_loop", "slot"]
    assert events[0]["name"] is None and events[1]["name"] == "requested_slot"


async def test_the_lookup_and_the_work_share_one_worker_thread(services: ActionServices) -> None:
    seen: list[int] = []

    class Recording(InMemoryLearnerRepository):
        def get(self, learner_id: str) -> Learner | None:
            seen.append(threading.get_ident())
            return super().get(learner_id)

    store = Recording()
    learner = store.get_or_create("web", "t")

    def next_step(*_: object) -> list[Reply]:
        seen.append(threading.get_ident())
        return [Reply("utter_no_active_course")]

    journey = SimpleNamespace(next_step=next_step)
    action = ActionNextStep(replace(services, learners=store, journey=journey))  # type: ignore[arg-type]
    await run(action, tracker(learner.id))
    assert len(seen) == 2 and seen[0] == seen[1] != threading.get_ident()


def test_every_custom_action_in_the_domain_is_registered_with_the_services(
    services: ActionServices,
) -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    custom = {a for a in domain["actions"] if a.startswith(("action_", "validate_"))}
    executor = ActionExecutor()
    assert set(register_actions(executor, services)) == custom
    assert all(executor.actions[name].__self__.services is services for name in custom)  # type: ignore[attr-defined]
