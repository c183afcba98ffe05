"""What the sync tests share: a hand-moved clock, fake LRS and Sunbird servers, a store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from learning.db import make_engine, session_factory, upgrade
from learning.models import EnrollmentRow, LearnerRow
from learning.repository import Learner, SqlLearnerRepository
from tests.fakes.lrs import FakeLrs
from tests.fakes.server import serve
from tests.fakes.sunbird import FakeSunbird

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"
HOME, BASE = "https://igot.example.gov.in", "https://karmabot.example.org/xapi"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


Fakes = tuple[FakeLrs, str, FakeSunbird, str]
Store = tuple[sa.orm.sessionmaker[sa.orm.Session], Learner]


@contextmanager
def served() -> Iterator[Fakes]:
    """A fake LRS and a fake Sunbird on loopback: (lrs, its xAPI URL, sunbird, its URL)."""
    lrs, sunbird = FakeLrs(), FakeSunbird()
    with serve(lrs.app()) as lrs_url, serve(sunbird.app()) as sunbird_url:
        yield lrs, lrs_url + "/xapi", sunbird, sunbird_url


@contextmanager
def opened(db_url: str) -> Iterator[Store]:
    """A migrated store with one learner, Asha, whose name is confirmed."""
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    repo = SqlLearnerRepository(sessions)
    learner = repo.get_or_create("web", "s", name="Asha")
    yield sessions, repo.confirm_name(learner.id, "Asha")  # the certificate is not held
    engine.dispose()


def set_identity(
    sessions: sa.orm.sessionmaker[sa.orm.Session],
    learner_id: str,
    user: str | None,
    batches: dict[str, str] | None = None,
) -> None:
    """Give a learner a platform user id and their enrollments batch ids (as the roster does)."""
    with sessions.begin() as session:
        session.get_one(LearnerRow, learner_id).platform_user_id = user
        for course, batch in (batches or {}).items():
            session.execute(
                sa.update(EnrollmentRow)
                .where(EnrollmentRow.learner_id == learner_id, EnrollmentRow.course_id == course)
                .values(batch_id=batch)
            )
