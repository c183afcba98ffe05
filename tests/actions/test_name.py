"""The name on certificates: confirm the profile name, or type one in `name_form`, and the held
certificates are issued; bad names are refused; a tap on another button ends the form."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from actions.name import ActionConfirmName, ActionSaveName, ValidateNameForm
from actions.progress import ActionShowProgress
from actions.services import ActionServices
from learning.repository import SqlLearnerRepository
from tests.actions.helpers import rendered, run, tracker
from tests.learning.test_certificates import finish

ENDS_FORM = [
    {"event": "active_loop", "name": None, "timestamp": None},
    {"event": "slot", "name": "requested_slot", "value": None, "timestamp": None},
]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def typed(sender: str, text: str, intent: str = "nlu_fallback", confidence: float = 0.3) -> Any:
    """The tracker `validate_name_form` sees: the form ran, then the message as candidate."""
    events = [
        {"event": "action", "name": "name_form"},
        {"event": "slot", "name": "full_name", "value": text},
    ]
    track = tracker(sender, text, intent, events=events, active_loop="name_form")
    track.latest_message["intent"]["confidence"] = confidence
    return track


async def test_confirming_the_profile_name_issues_the_held_certificate(
    store: SqlLearnerRepository, real: ActionServices
) -> None:
    learner = store.get_or_create("telegram", "71", name="Asha R")
    held = finish(real.journey, learner)
    assert held.response == "utter_course_complete_confirm_name"
    messages, events = await run(ActionConfirmName(real), tracker(learner.id, "/confirm_name"))
    certificate = real.journey.records.certificates.for_course(learner.id, "demo")
    assert certificate is not None and certificate.learner_name == "Asha R"
    text = rendered("utter_certificate_issued", course="Demo course", name="Asha R",
                    code=certificate.code)  # fmt: skip
    assert [m["text"] for m in messages] == [text]
    assert messages[0]["custom"]["document"]["code"] == certificate.code
    assert slots(events) == {"name": "Asha R"}
    assert store.get(learner.id).name_confirmed  # type: ignore[union-attr]
    # A second tap issues nothing again: it only says which name certificates carry.
    again, _ = await run(ActionConfirmName(real), tracker(learner.id, "/confirm_name"))
    assert [m["text"] for m in again] == [rendered("utter_name_saved", name="Asha R")]
    assert "custom" not in again[0] or not again[0]["custom"]


async def test_confirming_without_a_usable_name_offers_to_type_one(
    store: SqlLearnerRepository, real: ActionServices
) -> None:
    nameless = store.get_or_create("web", "72")
    emoji = store.get_or_create("telegram", "73", name="🌸🌸")
    for learner in (nameless, emoji):
        messages, events = await run(ActionConfirmName(real), tracker(learner.id))
        assert [m["text"] for m in messages] == [rendered("utter_name_missing")]
        assert [b["payload"] for b in messages[0]["buttons"]] == ["/change_name"]
        assert events == [] and not store.get(learner.id).name_confirmed  # type: ignore[union-attr]


async def test_the_typed_name_is_saved_and_the_held_certificate_issued_in_hindi(
    store: SqlLearnerRepository, real: ActionServices
) -> None:
    learner = store.get_or_create("web", "74")
    assert finish(real.journey, learner).response == "utter_course_complete_ask_name"
    store.set_language(learner.id, "hi")
    form_done = tracker(learner.id, slots={"language": "hi", "full_name": "मीरा अय्यर"})
    messages, events = await run(ActionSaveName(real), form_done)
    certificate = real.journey.records.certificates.for_course(learner.id, "demo")
    assert certificate is not None and certificate.learner_name == "मीरा अय्यर"
    assert messages[0]["text"] == rendered("utter_certificate_issued", "hi", course="डेमो कोर्स",
                                           name="मीरा अय्यर", code=certificate.code)  # fmt: skip
    assert slots(events) == {"name": "मीरा अय्यर", "full_name": None}


@pytest.mark.parametrize(
    ("text", "intent", "stored"),
    [
        ("  Meera   Iyer ", "answer_quiz", "Meera Iyer"),  # NLU guessed at 0.43, as it does
        ("K. R. D'Souza-Iyer", "nlu_fallback", "K. R. D'Souza-Iyer"),
        (unicodedata.normalize("NFD", "Renée Dubois"), "greet", "Renée Dubois"),
        ("கா. முத்துலட்சுமி", "next_step", "கா. முத்துலட்சுமி"),
        ("Li", "nlu_fallback", "Li"),
    ],
)
async def test_the_form_takes_a_typed_name_trimmed_and_nfc(
    services: ActionServices, text: str, intent: str, stored: str
) -> None:
    learner = services.learners.get_or_create("web", "75")
    messages, events = await run(ValidateNameForm(services), typed(learner.id, text, intent, 0.43))
    assert messages == [] and slots(events) == {"full_name": stored}
    assert unicodedata.is_normalized("NFC", events[0]["value"])


@pytest.mark.parametrize("text", ["x", "A1", "12345", "what?", "🙂🙂", "a" * 101, " . "])
async def test_the_form_refuses_what_is_not_a_name_and_asks_again(
    services: ActionServices, text: str
) -> None:
    learner = services.learners.get_or_create("web", "76")
    messages, events = await run(ValidateNameForm(services), typed(learner.id, text))
    assert [m["text"] for m in messages] == [rendered("utter_name_invalid")]
    assert events == [{**events[0], "name": "full_name", "value": None}]  # asks again


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("/my_progress", "my_progress", 1.0),  # a tap on another button
        ('/enroll_course{"course":"demo"}', "enroll_course", 1.0),
        ("/confirm_name", "confirm_name", 1.0),  # the other answer, tapped after all
        ("show my progress", "my_progress", 0.99),  # a request typed in full
        ("thanks", "thanks", 0.98),
    ],
)
async def test_taps_and_typed_requests_go_through_instead_of_becoming_a_name(
    services: ActionServices, text: str, intent: str, confidence: float
) -> None:
    learner = services.learners.get_or_create("web", "77")
    messages, events = await run(
        ValidateNameForm(services), typed(learner.id, text, intent, confidence)
    )
    assert messages == [] and slots(events) == {"full_name": None}
    assert [e["event"] for e in events] == ["slot", "action_execution_rejected"]
    assert events[1]["name"] == "name_form"  # rejected: Rasa runs what the message asks


@pytest.mark.parametrize(("text", "confidence"), [("/change_name", 1.0), ("change my name", 0.9)])
async def test_asking_to_change_the_name_again_just_asks_again(
    services: ActionServices, text: str, confidence: float
) -> None:
    learner = services.learners.get_or_create("web", "78")
    messages, events = await run(
        ValidateNameForm(services), typed(learner.id, text, "change_name", confidence)
    )
    assert messages == [] and events == [{**events[0], "name": "full_name", "value": None}]


async def test_with_nothing_to_validate_the_form_decides(services: ActionServices) -> None:
    learner = services.learners.get_or_create("web", "79")
    activation = tracker(learner.id, "/change_name", "change_name",
                         events=[{"event": "action", "name": "name_form"}],
                         active_loop="name_form")  # fmt: skip
    assert await run(ValidateNameForm(services), activation) == ([], [])


async def test_another_action_ends_an_active_form_so_it_traps_nobody(
    store: SqlLearnerRepository, real: ActionServices
) -> None:
    learner = store.get_or_create("web", "80")
    tap = tracker(learner.id, "/my_progress", "my_progress", active_loop="name_form")
    messages, events = await run(ActionShowProgress(real), tap)
    assert messages[0]["text"] == rendered("utter_progress_empty", points=0)
    assert events == ENDS_FORM
    # Without an active form nothing extra happens.
    _, events = await run(ActionShowProgress(real), tracker(learner.id))
    assert events == []
