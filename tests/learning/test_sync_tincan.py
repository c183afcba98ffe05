"""Karmabot's xAPI statements checked by an independent implementation: ADL's `tincan` library.

Every kind of learning event (lesson completed, question answered, quiz passed and failed,
course progressed and completed; every `EventKind`, so a new kind is checked too) becomes a
statement that tincan parses and writes back with actor, verb, object, result and context
intact. Karma Points are not sent as statements (no event carries them), so there is no
points statement to check. tincan checks types, UUIDs, timestamps, language tags, interaction
types and unknown properties; the xAPI rules it leaves out (one actor identifier, score
ranges) are checked by `learning.xapi.validate_statement` and by the fake LRS.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import tincan

from learning.events import EventKind, LearningEvent
from learning.xapi import statement_for
from tests.learning.sync_support import BASE, HOME

REGISTRATION = "0b8e4bb0-5a3b-4c9c-8f8e-2d1f8b0c1a2b"
WHEN = datetime(2026, 11, 2, 10, 30, 15, 250000, tzinfo=UTC)
FIELDS: dict[EventKind, dict[str, Any]] = {
    EventKind.LESSON_COMPLETED: {"lesson_id": "l2", "title": "Right to Information"},
    EventKind.QUESTION_ANSWERED: {
        "lesson_id": "l2", "quiz_id": "m1", "question_id": "q3", "response": "b",
        "success": False, "score_raw": 0, "score_max": 1,
    },
    EventKind.QUIZ_PASSED: {"quiz_id": "m1", "success": True, "score_raw": 4, "score_max": 5},
    EventKind.QUIZ_FAILED: {"quiz_id": "m1", "success": False, "score_raw": 1, "score_max": 5},
    EventKind.COURSE_PROGRESSED: {"progress": 40, "title": "Mission Karmayogi"},
    EventKind.COURSE_COMPLETED: {"progress": 100, "title": "Mission Karmayogi"},
}  # fmt: skip


def event(kind: EventKind) -> LearningEvent:
    return LearningEvent(
        kind=kind, key=f"learner-1:demo:{kind}", learner_id="learner-1", learner_name="Asha",
        course_id="demo", course_version=2, registration=REGISTRATION, language="hi-Latn",
        timestamp=WHEN, **FIELDS[kind],
    )  # fmt: skip


def round_trip(statement: dict[str, Any]) -> tuple[tincan.Statement, dict[str, Any]]:
    """tincan's reading of a statement, and what it writes back."""
    parsed = tincan.Statement.from_json(json.dumps(statement))
    return parsed, json.loads(parsed.to_json("1.0.3"))


def test_every_event_kind_has_a_statement_to_check() -> None:
    assert set(FIELDS) == set(EventKind)


@pytest.mark.parametrize("kind", list(EventKind))
def test_tincan_reads_each_statement_and_writes_it_back_intact(kind: EventKind) -> None:
    statement = statement_for(event(kind), home_page=HOME, activity_base=BASE)
    parsed, again = round_trip(statement)
    assert isinstance(parsed.actor, tincan.Agent) and isinstance(parsed.object, tincan.Activity)
    assert str(parsed.id) == statement["id"] == event(kind).id
    assert parsed.actor.account.name == "learner-1" and parsed.actor.account.home_page == HOME
    assert parsed.verb.id == statement["verb"]["id"]
    assert parsed.timestamp == WHEN
    for part in ("actor", "verb", "object", "result"):
        assert again.get(part) == statement.get(part), part
    assert again["context"] == statement["context"]
    result = statement.get("result", {})
    if "score" in result:
        assert parsed.result.score.scaled == result["score"]["scaled"]
        assert -1 <= parsed.result.score.scaled <= 1
    if kind in (EventKind.QUIZ_PASSED, EventKind.QUIZ_FAILED):
        assert parsed.result.success is (kind == EventKind.QUIZ_PASSED)
    if kind == EventKind.QUESTION_ANSWERED:
        assert parsed.object.definition.interaction_type == "choice"
        assert parsed.result.response == "b"


def test_tincan_is_an_independent_check_it_refuses_broken_statements() -> None:
    good = statement_for(event(EventKind.QUIZ_PASSED), home_page=HOME, activity_base=BASE)
    for broken in (
        {**good, "id": "42"},
        {**good, "timestamp": "yesterday"},
        {**good, "colour": "red"},
        {**good, "context": {**good["context"], "registration": "not-a-uuid"}},
    ):
        with pytest.raises((ValueError, AttributeError)):
            round_trip(broken)


def test_statements_synced_from_a_whole_course_pass_tincan(sessions: Any) -> None:
    """What the fake LRS stored after a real journey through the fixture course."""
    import asyncio

    from learning.outbox import SqlOutbox
    from learning.repository import SqlLearnerRepository
    from learning.sync import LrsSink, SyncJob
    from tests.learning.sync_support import Clock, served
    from tests.learning.test_sync import take_course

    repo = SqlLearnerRepository(sessions)
    learner = repo.confirm_name(repo.get_or_create("web", "t", name="Asha").id, "Asha")
    clock = Clock()
    take_course(sessions, learner, clock)
    with served() as (fake_lrs, lrs_url, _, _):
        sink = LrsSink(lrs_url, "karmabot", "secret", home_page=HOME, activity_base=BASE)
        asyncio.run(SyncJob(SqlOutbox(sessions), [sink], clock=clock).run_once())
    assert len(fake_lrs.stored) >= 12
    for statement in fake_lrs.stored.values():
        _, again = round_trip(statement)
        assert {k: again.get(k) for k in statement} == statement
