"""Choosing the conversation language."""

from __future__ import annotations

import pytest

from actions.language import ActionChooseLanguage, parse_choice
from actions.services import ActionServices
from core.i18n import get_catalog
from learning.repository import InMemoryLearnerRepository
from tests.actions.helpers import rendered, run, tracker


@pytest.mark.parametrize(
    ("value", "expected"),
    [("hi", ("hi", "native")), ("hi-Latn", ("hi", "latin")), ("HI-latn", ("hi", "latin")),
     (" ta ", ("ta", "native"))],
)  # fmt: skip
def test_parse_choice(value: str, expected: tuple[str, str]) -> None:
    assert parse_choice(value) == expected


async def test_choosing_hindi_saves_it_and_answers_in_hindi(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("web", "asha")
    entities = [{"entity": "language", "value": "hi"}]
    messages, events = await run(
        ActionChooseLanguage(services),
        tracker(learner.id, intent="choose_language", entities=entities),
    )
    # Rendered in the new language, not the old one.
    assert messages[0]["text"] == rendered("utter_language_changed", "hi", language_name="हिन्दी")
    assert messages[1]["custom"] == {"language": "hi", "script": "native"}
    assert {"event": "slot", "name": "language", "value": "hi"} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events
    ]
    stored = repo.get(learner.id)
    assert stored is not None and stored.language == "hi" and stored.language_chosen


async def test_romanized_hindi_sets_latin_script(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("web", "ravi")
    entities = [{"entity": "language", "value": "hi-Latn"}]
    await run(ActionChooseLanguage(services), tracker(learner.id, entities=entities))
    stored = repo.get(learner.id)
    assert stored is not None and (stored.language, stored.script) == ("hi", "latin")


async def test_a_language_without_a_catalog_is_refused_and_nothing_changes(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("web", "mina")
    entities = [{"entity": "language", "value": "xx"}]
    messages, events = await run(
        ActionChooseLanguage(services), tracker(learner.id, entities=entities)
    )
    texts = get_catalog()
    available = ", ".join(texts.native_name(code) for code in texts.languages())
    assert messages[0]["text"] == rendered(
        "utter_language_unsupported", requested=texts.native_name("xx"), available=available
    )
    assert events == []
    assert repo.get(learner.id) == learner


async def test_no_language_named_offers_the_choices(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("web", "kumar")
    messages, events = await run(ActionChooseLanguage(services), tracker(learner.id))
    assert [m["text"] for m in messages] == [rendered("utter_choose_language")]
    assert len(messages[0]["buttons"]) >= 3
    assert events == []
