"""Helpers for learner-store tests: a clock the test moves, a migrated store, learners."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from learning.db import Sessions, make_engine, session_factory, upgrade
from learning.models import ChannelLinkRow, LearnerRow

T0 = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)  # 11:30 in India


class Clock:
    """A clock the test moves (`clock.now = …`)."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def migrated(url: str) -> Sessions:
    """Sessions on the database at `url`, upgraded to the latest schema."""
    engine = make_engine(url)
    upgrade(url, engine)
    return session_factory(engine)


def add_learner(
    sessions: sessionmaker[Session],
    lid: str,
    *,
    org: str | None = "District A",
    language: str = "en",
    channel: str | None = "telegram",
    access: str = "learner",
    role: str | None = None,
    enabled: bool = True,
    created: datetime = T0 - timedelta(days=60),
) -> None:
    """A learner with a name, an organisation and (unless `channel` is None) one chat link."""
    with sessions.begin() as session:
        session.add(
            LearnerRow(
                id=lid, name=f"Learner {lid}", language=language, script="native",
                language_chosen=True, reminders_enabled=enabled, organisation=org, role=role,
                access=access, created_at=created, updated_at=created, name_confirmed=True,
            )
        )  # fmt: skip
        if channel:
            session.add(ChannelLinkRow(learner_id=lid, channel=channel, channel_user_id=f"u-{lid}"))
