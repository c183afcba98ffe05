"""One turn through the gateway's conversation logic, with a fake Rasa and in-memory store."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from connectors.conversation import (
    Conversation,
    FloodGuard,
    Inbound,
    LanguageOffers,
    clean_text,
)
from connectors.messages import BotMessage
from core.i18n import get_catalog
from learning.repository import InMemoryLearnerRepository


class FakeRasa:
    """Records what reaches Rasa and answers with a fixed reply."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotMessage]:
        self.sent.append((sender, text, metadata))
        return [BotMessage(text="ok")]


@pytest.fixture
def setup() -> tuple[Conversation, FakeRasa, InMemoryLearnerRepository]:
    rasa, repo = FakeRasa(), InMemoryLearnerRepository()
    return Conversation(rasa, repo, get_catalog(), max_chars=50), rasa, repo  # type: ignore[arg-type]


async def test_first_contact_creates_one_learner_used_as_rasa_sender(setup: Any) -> None:
    conversation, rasa, repo = setup
    await conversation.handle(Inbound("web", "asha", "hello", name="Asha"))
    await conversation.handle(Inbound("web", "asha", "help"))
    learner = repo.get_by_channel("web", "asha")
    assert learner is not None and learner.name == "Asha"
    assert repo.count() == 1
    assert [s for s, _, _ in rasa.sent] == [learner.id, learner.id]
    assert rasa.sent[0][2] == {"channel": "web", "channel_user_id": "asha"}


async def test_stickers_and_oversized_text_never_reach_rasa(setup: Any) -> None:
    conversation, rasa, _ = setup
    sticker = await conversation.handle(Inbound("web", "asha", None))
    too_long = await conversation.handle(Inbound("web", "asha", "x" * 51))
    assert sticker[0].text and too_long[0].text and "50" in too_long[0].text
    assert rasa.sent == []


async def test_blank_and_invisible_text_is_ignored(setup: Any) -> None:
    conversation, rasa, _ = setup
    assert await conversation.handle(Inbound("web", "asha", " \u200b\ufeff ")) == []
    assert rasa.sent == []


async def test_devanagari_from_an_english_learner_gets_one_switch_offer(setup: Any) -> None:
    conversation, _, repo = setup
    repo.set_language(repo.get_or_create("web", "asha").id, "en")
    first = await conversation.handle(Inbound("web", "asha", "मेरी प्रगति दिखाओ"))
    payloads = [b.payload for m in first for b in m.buttons]
    assert '/choose_language{"language":"hi"}' in payloads
    assert any("\u0900" <= ch <= "\u097f" for ch in first[-1].text)  # asked in Hindi
    again = await conversation.handle(Inbound("web", "asha", "मदद"))
    assert len(again) == 1  # not asked twice the same day


async def test_no_offer_for_the_learners_own_language_or_payloads(setup: Any) -> None:
    conversation, _, repo = setup
    learner = repo.get_or_create("web", "ravi")
    repo.set_language(learner.id, "hi")
    assert len(await conversation.handle(Inbound("web", "ravi", "मदद"))) == 1
    payload = '/choose_language{"language":"ta"}'
    assert len(await conversation.handle(Inbound("web", "ravi", payload))) == 1


async def test_a_first_message_in_tamil_script_is_answered_in_tamil_not_yet_chosen(
    setup: Any,
) -> None:
    conversation, rasa, repo = setup
    replies = await conversation.handle(Inbound("web", "murugan", "வணக்கம்"))
    learner = repo.get_by_channel("web", "murugan")
    assert (learner.language, learner.language_chosen) == ("ta", False)  # welcome asks still
    assert [t for _, t, _ in rasa.sent] == ["வணக்கம்"] and len(replies) == 1  # no offer


async def test_three_messages_in_a_row_in_another_script_switch_the_language(
    setup: Any,
) -> None:
    conversation, rasa, repo = setup
    repo.set_language(repo.get_or_create("web", "anjali").id, "en")
    await conversation.handle(Inbound("web", "anjali", "আমার অগ্রগতি"))  # offered once
    await conversation.handle(Inbound("web", "anjali", "ok"))  # Latin letters end the run
    await conversation.handle(Inbound("web", "anjali", "কোর্স দেখাও"))
    await conversation.handle(Inbound("web", "anjali", "আমার অগ্রগতি"))
    assert not any(t.startswith("/choose_language") for _, t, _ in rasa.sent)
    replies = await conversation.handle(Inbound("web", "anjali", "সাহায্য"))
    assert [t for _, t, _ in rasa.sent[-2:]] == ['/choose_language{"language":"bn"}', "সাহায্য"]
    assert len(replies) == 2  # the switch's reply, then the answer to the message


def test_offers_skip_unsupported_languages_latin_text_and_repeats() -> None:
    supported = {"en", "hi", "ta"}
    assert LanguageOffers.candidate("mera progress dikhao", supported) is None
    assert LanguageOffers.candidate("ગુજરાતી", supported) is None  # no Gujarati catalog
    assert LanguageOffers.candidate('/choose_language{"language":"ta"}', supported) is None
    assert LanguageOffers.candidate("வணக்கம்", supported) == "ta"
    offers = LanguageOffers()
    assert offers.first_today("learner-1", "ta") and not offers.first_today("learner-1", "ta")
    assert offers.first_today("learner-2", "ta")


def test_clean_text_normalises_and_strips_invisible_characters() -> None:
    assert clean_text("  he\u200bllo\ufeff ") == "hello"
    assert clean_text("\u0b95\u0bc6\u0bbe") == "\u0b95\u0bca"  # NFC composes Tamil ொ


class CountingRepository(InMemoryLearnerRepository):
    """Counts reads and writes, to show which turns touch the store."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def get(self, learner_id: str):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().get(learner_id)

    def get_or_create(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().get_or_create(*args, **kwargs)


async def test_ordinary_turns_do_not_touch_the_store_after_first_contact() -> None:
    repo = CountingRepository()
    conversation = Conversation(FakeRasa(), repo, get_catalog())  # type: ignore[arg-type]
    await conversation.handle(Inbound("telegram", "7", "hello"))
    first = repo.calls
    for text in ["my progress", "next", "b", "mera progress dikhao"]:
        await conversation.handle(Inbound("telegram", "7", text))
    assert first == 1 and repo.calls == first
    await conversation.handle(Inbound("telegram", "7", "मदद"))  # Indian script: one read
    assert repo.calls == first + 1


@pytest.mark.parametrize("word", ["STOP", "Unsubscribe!", "रोकें", "நிறுத்து", "band karo"])
async def test_stop_words_in_any_language_opt_out_without_the_dialogue(
    setup: Any, word: str
) -> None:
    conversation, rasa, repo = setup
    replies = await conversation.handle(Inbound("whatsapp", "9198", word))
    learner = repo.get_by_channel("whatsapp", "9198")
    assert learner is not None and learner.reminders_enabled is False
    assert replies[0].text == get_catalog().render("utter_reminders_stopped", "en")["text"]
    assert repo.opt_events == [(learner.id, False, "keyword")] and rasa.sent == []


async def test_start_opts_back_in_only_when_out(setup: Any) -> None:
    conversation, rasa, repo = setup
    await conversation.handle(Inbound("telegram", "7", "start"))  # reminders are on: a turn
    assert [t for _, t, _ in rasa.sent] == ["start"] and repo.opt_events == []
    await conversation.handle(Inbound("telegram", "7", "stop"))
    replies = await conversation.handle(Inbound("telegram", "7", "START"))
    learner = repo.get_by_channel("telegram", "7")
    assert learner is not None and learner.reminders_enabled is True
    assert [e[1:] for e in repo.opt_events] == [(False, "keyword"), (True, "keyword")]
    assert replies[0].text == get_catalog().render("utter_reminders_resumed", "en")["text"]


async def test_payloads_and_sentences_with_a_stop_word_go_to_the_dialogue(setup: Any) -> None:
    conversation, rasa, repo = setup
    await conversation.handle(Inbound("web", "a", "/stop_reminders"))
    await conversation.handle(Inbound("web", "a", "stop the lesson please"))
    assert [t for _, t, _ in rasa.sent] == ["/stop_reminders", "stop the lesson please"]
    assert repo.opt_events == []


async def test_a_flooding_learner_is_asked_once_to_slow_down_others_are_not() -> None:
    rasa, repo = FakeRasa(), InMemoryLearnerRepository()
    conversation = Conversation(rasa, repo, get_catalog(), flood_limit="3/minute")  # type: ignore[arg-type]
    replies = [await conversation.handle(Inbound("telegram", "1", f"m{i}")) for i in range(6)]
    slow = get_catalog().render("utter_slow_down", "en")["text"]
    assert [r[0].text if r else None for r in replies] == ["ok", "ok", "ok", slow, None, None]
    other = await conversation.handle(Inbound("telegram", "2", "hello"))
    assert other[0].text == "ok" and len(rasa.sent) == 4


async def test_the_flood_guard_lets_a_learner_back_in_as_the_bucket_drains() -> None:
    guard = FloodGuard("2/second", remember=2)
    assert [await guard.check("a") for _ in range(4)] == ["ok", "ok", "warn", "drop"]
    await asyncio.sleep(0.6)  # half a second drains one message's room
    assert await guard.check("a") == "ok"
    assert await guard.check("a") == "warn"
    # Buckets beyond `remember` are forgotten, oldest first: "a" starts afresh.
    assert [await guard.check(who) for who in ("b", "c", "a", "a")] == ["ok", "ok", "ok", "ok"]


async def test_a_roster_learner_listed_by_handle_is_linked_on_first_contact(setup: Any) -> None:
    conversation, rasa, repo = setup
    roster = repo.get_or_create("whatsapp", "919800000001", name="Asha Rao")
    repo.usernames["asha_rao"] = roster.id
    await conversation.handle(Inbound("telegram", "555", "hi", username="Asha_Rao"))
    assert repo.get_by_channel("telegram", "555") == roster and repo.count() == 1
    assert rasa.sent[0][0] == roster.id
