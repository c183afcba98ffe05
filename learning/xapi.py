"""xAPI 1.0.3 statements for learning events, and a check of the rules an LRS enforces.

Verbs are ADL's; every course, lesson, quiz and question has a stable activity IRI under the
configured base; the statement id is the event's UUID (derived from its natural key), so a
resent statement is the same statement and an LRS stores it once.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from learning.events import EventKind, LearningEvent

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
PROGRESS_EXTENSION = "https://w3id.org/xapi/cmi5/result/extensions/progress"
VERSION = "1.0.3"

_VERBS = {
    EventKind.LESSON_COMPLETED: "completed",
    EventKind.COURSE_COMPLETED: "completed",
    EventKind.QUESTION_ANSWERED: "answered",
    EventKind.QUIZ_PASSED: "passed",
    EventKind.QUIZ_FAILED: "failed",
    EventKind.COURSE_PROGRESSED: "progressed",
}
_TOP_LEVEL = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def activity_iri(base: str, event: LearningEvent, level: str) -> str:
    """The IRI of the event's course, lesson, quiz or question."""
    course = f"{base.rstrip('/')}/courses/{event.course_id}"
    if level == "course":
        return course
    if level == "lesson":
        return f"{course}/lessons/{event.lesson_id}"
    quiz = f"{course}/quizzes/{event.quiz_id}"
    return quiz if level == "quiz" else f"{quiz}/questions/{event.question_id}"


def _object_level(event: LearningEvent) -> str:
    if event.kind == EventKind.LESSON_COMPLETED:
        return "lesson"
    if event.kind == EventKind.QUESTION_ANSWERED:
        return "question"
    if event.kind in (EventKind.QUIZ_PASSED, EventKind.QUIZ_FAILED):
        return "quiz"
    return "course"


def _activity(base: str, event: LearningEvent, level: str, name: str | None) -> dict[str, Any]:
    kinds = {
        "course": "course",
        "lesson": "lesson",
        "quiz": "assessment",
        "question": "cmi.interaction",
    }
    definition: dict[str, Any] = {"type": ADL_ACTIVITIES + kinds[level]}
    if name:
        definition["name"] = {"en-US": name}
    if level == "question":
        definition["interactionType"] = "choice"
    return {
        "objectType": "Activity",
        "id": activity_iri(base, event, level),
        "definition": definition,
    }


def _result(event: LearningEvent) -> dict[str, Any] | None:
    result: dict[str, Any] = {}
    if event.score_max:
        raw = event.score_raw or 0.0
        result["score"] = {
            "raw": raw,
            "min": 0,
            "max": event.score_max,
            "scaled": round(raw / event.score_max, 4),
        }
    if event.success is not None:
        result["success"] = event.success
    if event.kind in (
        EventKind.LESSON_COMPLETED,
        EventKind.COURSE_COMPLETED,
        EventKind.QUIZ_PASSED,
        EventKind.QUIZ_FAILED,
    ):
        result["completion"] = True
    if event.response is not None:
        result["response"] = event.response
    if event.progress is not None:
        result["extensions"] = {PROGRESS_EXTENSION: event.progress}
    return result or None


def statement_for(event: LearningEvent, *, home_page: str, activity_base: str) -> dict[str, Any]:
    """The xAPI statement for a learning event."""
    actor: dict[str, Any] = {
        "objectType": "Agent",
        "account": {"homePage": home_page, "name": event.learner_id},
    }
    if event.learner_name:
        actor["name"] = event.learner_name
    verb = _VERBS[event.kind]
    level = _object_level(event)
    parent = "quiz" if level == "question" else "course"
    context: dict[str, Any] = {"registration": event.registration, "language": event.language}
    if level != "course":
        context["contextActivities"] = {
            "parent": [_activity(activity_base, event, parent, None)],
            "grouping": [_activity(activity_base, event, "course", None)],
        }
    statement: dict[str, Any] = {
        "id": event.id,
        "actor": actor,
        "verb": {"id": ADL_VERBS + verb, "display": {"en-US": verb}},
        "object": _activity(activity_base, event, level, event.title),
        "context": context,
        "timestamp": event.timestamp.isoformat(),
        "version": VERSION,
    }
    if result := _result(event):
        statement["result"] = result
    return statement


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def validate_statement(statement: dict[str, Any]) -> list[str]:
    """Problems with a statement under the xAPI 1.0.3 rules an LRS enforces (empty if none)."""
    problems = [f"unknown property {key!r}" for key in statement if key not in _TOP_LEVEL]
    if not _is_uuid(statement.get("id")):
        problems.append("id is not a UUID")
    actor = statement.get("actor") or {}
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in actor]
    if len(ifis) != 1:
        problems.append("actor must have exactly one identifier")
    account = actor.get("account")
    if account is not None and not (
        _IRI.match(str(account.get("homePage", ""))) and account.get("name")
    ):
        problems.append("actor.account needs an IRI homePage and a name")
    verb = statement.get("verb") or {}
    if not _IRI.match(str(verb.get("id", ""))) or not verb.get("display"):
        problems.append("verb needs an IRI id and a display")
    target = statement.get("object") or {}
    if not _IRI.match(str(target.get("id", ""))):
        problems.append("object id is not an IRI")
    score = (statement.get("result") or {}).get("score")
    if score is not None:
        scaled = score.get("scaled")
        if scaled is not None and not -1 <= scaled <= 1:
            problems.append("result.score.scaled must be within [-1, 1]")
        low, high, raw = score.get("min"), score.get("max"), score.get("raw")
        if raw is not None and low is not None and high is not None and not low <= raw <= high:
            problems.append("result.score.raw must be within [min, max]")
    context = statement.get("context") or {}
    if "registration" in context and not _is_uuid(context["registration"]):
        problems.append("context.registration is not a UUID")
    if "language" in context and not _LANGUAGE_TAG.match(str(context["language"])):
        problems.append("context.language is not an RFC 5646 tag")
    try:
        stamp = datetime.fromisoformat(str(statement.get("timestamp")))
    except ValueError:
        problems.append("timestamp is not ISO 8601")
    else:
        if stamp.tzinfo is None:
            problems.append("timestamp has no time zone")
    return problems
