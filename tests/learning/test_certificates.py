"""Certificates carry a confirmed name: held at completion until the learner confirms one
(SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import math
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from learning.certificates import CODE_ALPHABET, CODE_LENGTH
from learning.content_loader import load
from learning.db import make_engine, session_factory, upgrade
from learning.journey import Journey
from learning.records import PointsRules, RecordStore
from learning.replies import Reply
from learning.repository import Learner, SqlLearnerRepository
from tests.learning.test_journey import CONTENT, correct_payload, names


@pytest.fixture
def stores(db_url: str) -> tuple[Journey, SqlLearnerRepository, sa.Engine]:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    records = RecordStore(sessions, sinks=("lrs",), points=PointsRules(10, 20, 50))
    journey = Journey(load(CONTENT), records, rng=random.Random(3))
    return journey, SqlLearnerRepository(sessions), engine


def finish(journey: Journey, learner: Learner) -> Reply:
    """Take the demo course to the end with right answers; the completion reply."""
    replies = journey.enroll(learner, "demo")
    for _ in range(20):
        last = replies[-1]
        if last.response.startswith("utter_course_complete"):
            return last
        if last.response == "utter_quiz_question":
            replies = journey.answer(learner, "", *correct_payload(journey, last))
        else:
            replies = journey.next_step(learner)
    raise AssertionError(f"the course did not complete: {names(replies)}")


def completed_events(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        payloads = conn.execute(sa.text("SELECT payload FROM outbox")).scalars()
        return sum(json.loads(p)["kind"] == "course_completed" for p in payloads)


def test_a_profile_name_is_asked_about_and_the_certificate_held_until_confirmed(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    journey, repo, engine = stores
    learner = repo.get_or_create("telegram", "8", name="Asha R")
    done = finish(journey, learner)
    assert done.response == "utter_course_complete_confirm_name" and done.custom is None
    assert done.args == {"course": "Demo course", "points": 50, "name": "Asha R"}
    # Everything but the certificate is recorded, exactly once.
    certificates = journey.records.certificates
    assert certificates.for_course(learner.id, "demo") is None
    [held] = certificates.held(learner.id)
    enrollment = journey.records.enrollments.get(learner.id, "demo")
    assert enrollment is not None and enrollment.completed_at == held.completed_at
    assert journey.records.points.total(learner.id) == 120 and completed_events(engine) == 1
    # Asking again (resume on a finished course) asks again and records nothing more.
    again = journey.resume(learner, "demo")
    assert names(again) == ["utter_course_complete_confirm_name"]
    assert again[0].args["points"] == 0 and completed_events(engine) == 1
    assert journey.issue_certificates(learner) == []  # not confirmed yet
    confirmed = repo.confirm_name(learner.id, "  Asha   Rao ")
    assert confirmed.name == "Asha Rao" and confirmed.name_confirmed
    [issued] = journey.issue_certificates(confirmed)
    assert issued.response == "utter_certificate_issued"
    code = issued.args["code"]
    assert issued.args == {"course": "Demo course", "name": "Asha Rao", "code": code}
    document = {"kind": "certificate", "code": code, "filename": f"karmabot-certificate-{code}.pdf"}
    assert issued.custom == {"document": document}
    certificate = certificates.get(issued.args["code"])
    assert certificate is not None and certificate.learner_name == "Asha Rao"
    assert certificate.issued_at == held.completed_at  # dated when the course was done
    assert certificates.held(learner.id) == [] and journey.issue_certificates(confirmed) == []
    assert journey.records.points.total(learner.id) == 120 and completed_events(engine) == 1
    engine.dispose()


def test_a_learner_without_a_name_is_asked_for_one(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    journey, repo, engine = stores
    learner = repo.get_or_create("web", "no-name")
    done = finish(journey, learner)
    assert done.response == "utter_course_complete_ask_name" and done.custom is None
    assert "name" not in done.args
    named = repo.confirm_name(learner.id, "मीरा अय्यर")
    [issued] = journey.issue_certificates(Learner(**{**named.__dict__, "language": "hi"}))
    assert issued.args["course"] == "डेमो कोर्स" and issued.args["name"] == "मीरा अय्यर"
    certificate = journey.records.certificate(issued.args["code"])
    assert certificate is not None and certificate.learner_name == "मीरा अय्यर"
    engine.dispose()


def test_concurrent_confirmations_issue_one_certificate_once(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    journey, repo, engine = stores
    learner = repo.get_or_create("telegram", "9", name="Kavya")
    finish(journey, learner)
    confirmed = repo.confirm_name(learner.id, "Kavya")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: journey.issue_certificates(confirmed), range(4)))
    assert sum(len(r) for r in results) == 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM certificates")).scalar() == 1
    engine.dispose()


def test_codes_have_at_least_48_bits_of_entropy() -> None:
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET)
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) >= 48


def test_a_code_is_found_in_any_case_and_carries_the_learners_language_and_zone(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    journey, repo, engine = stores
    learner = repo.get_or_create("telegram", "10", name="Kavya")
    repo.set_language(learner.id, "hi", "latin")
    with engine.begin() as conn:
        update = "UPDATE learners SET timezone = 'Europe/London' WHERE id = :id"
        conn.execute(sa.text(update), {"id": learner.id})
    finish(journey, learner)
    [issued] = journey.issue_certificates(repo.confirm_name(learner.id, "Kavya"))
    code = issued.args["code"]
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    certificates = journey.records.certificates
    for typed in (code, code.lower(), f"  {code.title()} "):
        found = certificates.get(typed)
        assert found is not None and found.code == code, typed
        assert (found.language, found.script, found.timezone) == ("hi", "latin", "Europe/London")
    assert certificates.for_course(learner.id, "demo") == certificates.get(code)
    assert certificates.get("NOSUCHCODE") is None and certificates.get("") is None
    engine.dispose()
