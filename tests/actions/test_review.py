"""Review answers: the button's item, option and ask go to the review service; its replies are
rendered in the learner's language."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select

from actions.review import ActionReviewAnswer
from actions.services import ActionServices
from learning.campaign_models import SendRow
from learning.content_loader import load
from learning.db import Sessions
from learning.replies import Reply
from learning.repository import InMemoryLearnerRepository, Learner, SqlLearnerRepository
from learning.review import ReviewPlanner, Reviews
from learning.sends import SendQueue
from tests.actions.helpers import rendered, run, tracker

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"


class FakeReviews:
    """Answers with a fixed reply and remembers what it was asked."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[str, str | None, str | None, str | None]] = []

    def answer(
        self, learner: Learner, item_id: str | None, option_id: str | None, n: str | None
    ) -> list[Reply]:
        self.calls.append((learner.id, item_id, option_id, n))
        return self.replies


def entities(**values: str) -> list[dict[str, Any]]:
    return [{"entity": name, "value": value} for name, value in values.items()]


async def test_a_tapped_answer_goes_to_the_review_service(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("telegram", "1")
    reviews = FakeReviews(Reply("utter_review_correct", {"days": 3}))
    action = ActionReviewAnswer(replace(services, reviews=cast(Reviews, reviews)))
    tapped = entities(item="12", option="b", n="2")
    messages, events = await run(
        action, tracker(learner.id, "/review_answer", "review_answer", tapped)
    )
    assert reviews.calls == [(learner.id, "12", "b", "2")]
    assert [m["text"] for m in messages] == [rendered("utter_review_correct", days=3)]
    assert events == []


async def test_each_outcome_is_rendered_in_the_learner_language(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("telegram", "2")
    slots = {"language": "hi", "script": "native"}
    for reply in [
        Reply("utter_review_wrong", {"answer": "४", "days": 1}),
        Reply("utter_review_learned"),
        Reply("utter_review_stale"),
    ]:
        action = ActionReviewAnswer(replace(services, reviews=cast(Reviews, FakeReviews(reply))))
        track = tracker(
            learner.id, intent="review_answer", entities=entities(item="1"), slots=slots
        )
        messages, _ = await run(action, track)
        assert [m["text"] for m in messages] == [rendered(reply.response, "hi", **reply.args)]


async def test_missing_entities_and_no_review_service_are_stale(
    repo: InMemoryLearnerRepository, services: ActionServices
) -> None:
    learner = repo.get_or_create("telegram", "3")
    reviews = FakeReviews(Reply("utter_review_stale"))
    action = ActionReviewAnswer(replace(services, reviews=cast(Reviews, reviews)))
    messages, _ = await run(action, tracker(learner.id, "review my answer", "review_answer"))
    assert reviews.calls == [(learner.id, None, None, None)]
    assert messages[0]["text"] == rendered("utter_review_stale")
    unset, _ = await run(ActionReviewAnswer(services), tracker(learner.id, intent="review_answer"))
    assert unset[0]["text"] == rendered("utter_review_stale")


async def test_a_nudge_button_answered_through_the_real_review_service(
    sessions: Sessions, store: SqlLearnerRepository, services: ActionServices
) -> None:
    now = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    clock = [now]
    library = load(CONTENT)
    reviews = Reviews(sessions, library, lambda: clock[0])
    learner = store.get_or_create("telegram", "4")
    reviews.record_miss(learner.id, "demo", "q1", "q1a")
    clock[0] = now + timedelta(days=1)
    queue = SendQueue(sessions, lambda: clock[0])
    assert ReviewPlanner(sessions, queue, library, lambda: clock[0]).plan() == 1
    with sessions() as session:
        payload = json.loads(session.scalars(select(SendRow.payload)).one() or "{}")
    four = next(b["payload"] for b in payload["buttons"] if b["title"] == "4")
    tapped = entities(**json.loads(four.removeprefix("/review_answer")))
    action = ActionReviewAnswer(replace(services, learners=store, reviews=reviews))
    track = tracker(learner.id, four, "review_answer", tapped)
    messages, _ = await run(action, track)
    assert messages[0]["text"] == rendered("utter_review_correct", days=3)
    again, _ = await run(action, track)
    assert again[0]["text"] == rendered("utter_review_stale")
