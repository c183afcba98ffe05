"""End-to-end conversations through the gateway's `/chat/api`, the real Rasa server and the
real action server (started by the `stack` fixture)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.connectors.conftest import RunningStack

pytestmark = pytest.mark.stack


class Learner:
    """A learner talking to the gateway."""

    def __init__(self, base_url: str, user: str | None = None) -> None:
        self.base_url = base_url
        self.user = user or f"e2e-{uuid.uuid4().hex[:10]}"

    def say(self, text: str | None) -> list[dict[str, Any]]:
        reply = httpx.post(
            f"{self.base_url}/chat/api", json={"user": self.user, "text": text}, timeout=60
        )
        assert reply.status_code == 200, reply.text
        messages: list[dict[str, Any]] = reply.json()["messages"]
        return messages


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons", [])]


def has_devanagari(text: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in text)


def has_tamil(text: str) -> bool:
    return any("\u0b80" <= ch <= "\u0bff" for ch in text)


def test_greet_choose_hindi_help_progress_stop_reminders(stack: str) -> None:
    learner = Learner(stack)

    welcome = learner.say("hello")
    assert not has_devanagari(texts(welcome)) or "English" in str(welcome)
    assert '/choose_language{"language":"hi"}' in payloads(welcome)

    changed = learner.say('/choose_language{"language":"hi"}')
    assert has_devanagari(texts(changed)), changed
    assert {"language": "hi", "script": "native"} in [m.get("custom") for m in changed]

    helped = learner.say("help")
    assert has_devanagari(texts(helped))
    assert "/browse_courses" in payloads(helped)

    progress = learner.say("my progress")
    assert has_devanagari(texts(progress))
    assert "0" in texts(progress)  # no Karma Points yet

    stopped = learner.say("stop reminders")
    assert has_devanagari(texts(stopped))
    assert "/resume_reminders" in payloads(stopped)


def test_romanized_hindi_conversation_in_latin_script(stack: str) -> None:
    learner = Learner(stack)
    learner.say("namaste")
    chosen = learner.say('/choose_language{"language":"hi-Latn"}')
    assert texts(chosen) and not has_devanagari(texts(chosen)), chosen

    progress = learner.say("mera progress dikhao")
    assert progress and not has_devanagari(texts(progress))
    assert "/browse_courses" in payloads(progress)

    courses = learner.say("kaunse courses hain")
    assert courses and not has_devanagari(texts(courses))

    question = learner.say("RTI application kaise file karein")
    assert "📎" in texts(question) and not has_devanagari(texts(question))
    assert any(p.startswith("/read_lesson") for p in payloads(question))


def test_language_persists_for_a_returning_learner(stack: str) -> None:
    first = Learner(stack)
    first.say("hi")
    first.say('/choose_language{"language":"ta"}')
    again = Learner(stack, user=first.user)
    assert has_tamil(texts(again.say("help")))


def test_a_first_message_in_tamil_gets_the_welcome_in_tamil_with_every_language_a_tap_away(
    stack: str,
) -> None:
    welcome = Learner(stack).say("வணக்கம்")
    assert has_tamil(texts(welcome)), welcome
    assert {'/choose_language{"language":"en"}', '/choose_language{"language":"bn"}'} <= set(
        payloads(welcome)
    )


def test_writing_in_another_script_offers_a_switch_then_switches(stack: str) -> None:
    learner = Learner(stack)
    learner.say("hello")
    learner.say('/choose_language{"language":"en"}')
    reply = learner.say("मेरी प्रगति दिखाओ")
    assert '/choose_language{"language":"hi"}' in payloads(reply)
    # Ignoring the offer and writing on in Hindi: the third message in a row switches.
    assert not has_devanagari(texts(learner.say("कोर्स दिखाओ")))
    switched = learner.say("मदद")
    assert has_devanagari(texts(switched)), switched
    assert has_devanagari(texts(learner.say("help")))  # and it stays switched


def test_sticker_and_oversized_text_get_an_answer_and_change_nothing(stack: str) -> None:
    learner = Learner(stack)
    before = learner.say("my progress")
    assert texts(learner.say(None))  # a sticker, photo or voice note
    too_long = texts(learner.say("x" * 5000))
    assert "2000" in too_long or "2,000" in too_long
    assert texts(learner.say("my progress")) == texts(before)


LINKS_SQL = "SELECT count(*) FROM channel_links WHERE channel='web' AND channel_user_id=:u"


def test_learner_record_created_once_per_channel_user(running_stack: RunningStack) -> None:
    learner = Learner(running_stack.url)
    learner.say("hello")
    learner.say("hello again")
    db = running_stack.data_dir / "karmabot.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(LINKS_SQL),
            {"u": learner.user},
        ).scalar_one()
    assert rows == 1


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"user": "", "text": "hi"}',
     b'{"user": "u", "text": 5}', b'{"user": "u", "text": "hi", "channel": "telegram"}'],
)  # fmt: skip
def test_malformed_requests_are_rejected(stack: str, body: bytes) -> None:
    reply = httpx.post(f"{stack}/chat/api", content=body, timeout=10)
    assert reply.status_code == 400
    assert "error" in reply.json()


def test_a_turn_without_a_user_or_a_session_is_refused(stack: str) -> None:
    reply = httpx.post(f"{stack}/chat/api", json={"text": "hi"}, timeout=10)
    assert reply.status_code == 401 and "session" in reply.json()["error"]


def test_the_page_session_carries_a_whole_conversation(stack: str) -> None:
    with httpx.Client(base_url=stack, timeout=30) as browser:
        assert browser.get("/").status_code == 200 and "karmabot_session" in browser.cookies
        first = browser.post("/chat/api", json={"text": "hello"}).json()
        second = browser.post("/chat/api", json={"text": "help"}).json()
        assert first["user"] == second["user"] and first["user"].startswith("web-")
        assert first["messages"] and second["messages"]


def test_web_chat_page_is_served(stack: str) -> None:
    page = httpx.get(f"{stack}/", timeout=10)
    assert page.status_code == 200
    assert "chat/api" in page.text and "<button" in page.text


def test_a_message_nobody_can_place_gets_didnt_understand_with_help(stack: str) -> None:
    """Not understood: tried against the knowledge base (no confident answer), then the
    "didn't understand" reply with its help button (rules: nlu_fallback → action_try_knowledge)."""
    learner = Learner(stack)
    learner.say("hello")
    replies = learner.say("qwzx vbnm plkj trrr")
    assert "didn't understand" in texts(replies), replies
    assert "/help" in payloads(replies)
