"""The services actions call, built once per process from settings (no I/O at import time)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from bot.i18n import Catalog, get_catalog
from bot.settings import get_settings
from learning.content import Library
from learning.content_loader import load as load_content
from learning.db import cached_engine, session_factory, upgrade
from learning.journey import Journey
from learning.records import PointsRules, RecordStore
from learning.repository import Learner, LearnerRepository, create_learner_repository

T = TypeVar("T")

#: Channel name for senders that reach Rasa directly (REST clients, `rasa test`).
DIRECT_CHANNEL = "rest"


@lru_cache(maxsize=1)
def learners() -> LearnerRepository:
    """The learner repository chosen by settings (SQLite by default, PostgreSQL if configured)."""
    return create_learner_repository(get_settings())


def catalog() -> Catalog:
    """The localized response catalog."""
    return get_catalog()


async def in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run blocking store calls off the event loop."""
    return await asyncio.to_thread(func, *args)


def learner_for_sender(sender_id: str) -> Learner:
    """The learner behind a Rasa sender id.

    The gateway uses the learner id as the sender id. Senders that talk to Rasa directly get a
    learner of their own, linked as channel `rest`.
    """
    repo = learners()
    return repo.get(sender_id) or repo.get_or_create(DIRECT_CHANNEL, sender_id)


async def current_learner(sender_id: str) -> Learner:
    """The learner behind `sender_id`, looked up off the event loop."""
    return await in_thread(learner_for_sender, sender_id)


@lru_cache(maxsize=1)
def journey() -> Journey:
    """The course engine over the content tree and learner records chosen by settings."""
    settings = get_settings()
    engine = cached_engine(settings.sql_url)
    upgrade(settings.sql_url, engine)
    rules = PointsRules(
        settings.points_lesson, settings.points_quiz_passed, settings.points_course_completed
    )
    records = RecordStore(session_factory(engine), sinks=settings.sync_sinks, points=rules)
    library = load_content(settings.content_dir) if settings.content_dir.is_dir() else Library()
    return Journey(library, records, pass_mark=settings.quiz_pass_mark)
