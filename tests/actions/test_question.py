"""Content questions: a cited answer with a "Read the lesson" button or an honest "I don't know"."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import pytest

from actions.question import ActionAnswerQuestion, ActionTryKnowledge
from actions.services import ActionServices
from core.settings import PROJECT_ROOT
from knowledge.documents import Answer, Citation
from learning.content_loader import load
from learning.repository import InMemoryLearnerRepository
from tests.actions.helpers import rendered, run, tracker


@dataclass
class FakeKnowledge:
    """Answers one question; abstains on everything else; remembers what it was asked."""

    asked: list[tuple[str, str | None]] = field(default_factory=list)
    preferred: list[str | None] = field(default_factory=list)
    gaps_logged: list[bool] = field(default_factory=list)

    def ask(
        self,
        question: str,
        language: str | None = None,
        course: str | None = None,
        *,
        prefer_course: str | None = None,
        log_gap: bool = True,
    ) -> Answer:
        self.asked.append((question, language))
        self.preferred.append(prefer_course)
        self.gaps_logged.append(log_gap)
        if "70:20:10" not in question:
            return Answer("I don't know", language or "en", confident=False)
        citation = Citation(
            "karmayogi-orientation",
            "05-the-70-20-10-model",
            "The three parts",
            "content/…/05-the-70-20-10-model.hi.md",
            "c1",
            0.9,
            "hi",
        )
        return Answer("लगभग 70% सीखना काम के अनुभव से आता है।", "hi", True, (citation,), 0.9)


@dataclass
class FakeRecords:
    """The one part of the learner records the action reads: each learner's current course."""

    active: dict[str, str] = field(default_factory=dict)

    def active_course(self, learner_id: str) -> str | None:
        return self.active.get(learner_id)


SAMPLE_LIBRARY = load(PROJECT_ROOT / "content")


@pytest.fixture
def records() -> FakeRecords:
    return FakeRecords()


@pytest.fixture
def kb() -> FakeKnowledge:
    return FakeKnowledge()


@pytest.fixture
def asking(services: ActionServices, records: FakeRecords, kb: FakeKnowledge) -> ActionServices:
    """Services whose journey is the sample content with fake records, and a fake KB."""
    journey = SimpleNamespace(records=records, library=SAMPLE_LIBRARY)
    return replace(services, journey=journey, knowledge=lambda: kb)  # type: ignore[arg-type]


async def test_a_confident_answer_is_cited_with_a_read_the_lesson_button(
    asking: ActionServices, kb: FakeKnowledge, repo: InMemoryLearnerRepository
) -> None:
    learner = repo.get_or_create("web", "q")
    repo.set_language(learner.id, "hi")
    messages, events = await run(
        ActionAnswerQuestion(asking),
        tracker(
            learner.id,
            text="70:20:10 model kya hai",
            intent="ask_question",
            slots={"language": "hi"},
        ),
    )
    source = "मिशन कर्मयोगी और iGOT से परिचय › सीखने का 70:20:10 मॉडल"
    assert messages[0]["text"] == rendered(
        "utter_answer", "hi", answer=kb.ask("70:20:10").text, source=source, lesson_ref="x"
    )
    assert messages[0]["buttons"][0]["payload"] == (
        '/read_lesson{"lesson":"karmayogi-orientation/05-the-70-20-10-model"}'
    )
    assert kb.asked[0] == ("70:20:10 model kya hai", "hi") and events == []
    assert kb.preferred[0] is None


async def test_the_course_the_learner_is_taking_is_preferred(
    asking: ActionServices, kb: FakeKnowledge, repo: InMemoryLearnerRepository, records: FakeRecords
) -> None:
    learner = repo.get_or_create("web", "p")
    records.active[learner.id] = "rti-for-officials"
    await run(ActionAnswerQuestion(asking), tracker(learner.id, text="what is the time limit?"))
    assert kb.preferred == ["rti-for-officials"]


async def test_no_answer_in_the_content_is_an_honest_dont_know(
    asking: ActionServices, kb: FakeKnowledge, repo: InMemoryLearnerRepository
) -> None:
    learner = repo.get_or_create("web", "r")
    messages, _ = await run(
        ActionAnswerQuestion(asking), tracker(learner.id, text="who won the cricket match?")
    )
    assert [m["text"] for m in messages] == [rendered("utter_dont_know")]


async def test_an_empty_question_asks_for_one(asking: ActionServices, kb: FakeKnowledge) -> None:
    messages, _ = await run(ActionAnswerQuestion(asking), tracker("x", text="   "))
    assert messages[0]["text"] == rendered("utter_ask_something") and kb.asked == []


async def test_a_failing_knowledge_base_gets_an_honest_answer_not_a_crash(
    asking: ActionServices,
    monkeypatch: pytest.MonkeyPatch,
    repo: InMemoryLearnerRepository,
    records: FakeRecords,
) -> None:
    class Broken:
        def ask(self, question: str, language: str | None = None, **_: object) -> Answer:
            raise RuntimeError("store unavailable")

    broken = replace(asking, knowledge=Broken)
    messages, _ = await run(ActionAnswerQuestion(broken), tracker("x", text="what is RTI?"))
    assert [m["text"] for m in messages] == [rendered("utter_dont_know")]


async def test_an_unplaced_message_the_content_answers_gets_the_cited_answer(
    asking: ActionServices, kb: FakeKnowledge, repo: InMemoryLearnerRepository
) -> None:
    learner = repo.get_or_create("web", "f1")
    message = tracker(learner.id, text="that 70:20:10 thing??", intent="nlu_fallback")
    messages, events = await run(ActionTryKnowledge(asking), message)
    assert messages[0]["text"].startswith(kb.ask("70:20:10").text) and events == []
    assert messages[0]["buttons"][0]["payload"].startswith("/read_lesson")
    assert kb.gaps_logged == [True, True]  # an unplaced message may be a content question


async def test_an_unplaced_message_the_content_cannot_answer_gets_didnt_understand_with_help(
    asking: ActionServices, kb: FakeKnowledge, repo: InMemoryLearnerRepository
) -> None:
    learner = repo.get_or_create("web", "f2")
    message = tracker(learner.id, text="asdf qwerty", intent="nlu_fallback")
    messages, _ = await run(ActionTryKnowledge(asking), message)
    assert [m["text"] for m in messages] == [rendered("utter_default")]
    assert messages[0]["buttons"][0]["payload"] == "/help"


async def test_off_topic_chat_gets_cant_help_and_is_not_logged_as_a_content_gap(
    asking: ActionServices, kb: FakeKnowledge, repo: InMemoryLearnerRepository
) -> None:
    learner = repo.get_or_create("web", "f3")
    message = tracker(learner.id, text="tell me a joke", intent="out_of_scope")
    messages, _ = await run(ActionTryKnowledge(asking), message)
    assert [m["text"] for m in messages] == [rendered("utter_out_of_scope")]
    assert kb.asked == [("tell me a joke", "en")] and kb.gaps_logged == [False]


async def test_an_answer_from_a_document_cites_its_title_and_page(
    asking: ActionServices, repo: InMemoryLearnerRepository
) -> None:
    class Circulars:
        def ask(self, question: str, language: str | None = None, **_: object) -> Answer:
            cited = Citation("", "", "Page 3", "docs/ltc.pdf", "c9", 0.8, "en", "LTC rules 2026")
            return Answer("An advance of 90 per cent may be drawn.", "en", True, (cited,), 0.8)

    learner = repo.get_or_create("web", "doc")
    services = replace(asking, knowledge=Circulars)  # type: ignore[arg-type]
    messages, _ = await run(ActionAnswerQuestion(services), tracker(learner.id, text="ltc advance"))
    expected = rendered(
        "utter_answer_document",
        answer="An advance of 90 per cent may be drawn.",
        source="LTC rules 2026 › Page 3",
    )
    assert messages[0]["text"] == expected
