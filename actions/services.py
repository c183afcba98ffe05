"""The services actions call, built once per process from settings (no I/O at import time)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from bot.i18n import Catalog, get_catalog
from bot.settings import Settings, get_settings
from learning.content import Library, pick
from learning.content_loader import load as load_content
from learning.db import cached_engine, session_factory, upgrade
from learning.journey import Journey
from learning.records import PointsRules, RecordStore
from learning.repository import Learner, LearnerRepository, create_learner_repository

if TYPE_CHECKING:
    from knowledge.base import Knowledge
    from knowledge.config import KnowledgeConfig
    from knowledge.documents import Answer

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
    return Journey(library(), records, pass_mark=settings.quiz_pass_mark)


@lru_cache(maxsize=1)
def library() -> Library:
    """The course content chosen by settings (empty when there is none)."""
    folder = get_settings().content_dir
    return load_content(folder) if folder.is_dir() else Library()


_KNOWLEDGE_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _knowledge_base() -> Knowledge:
    from knowledge.base import KnowledgeBase

    return KnowledgeBase(knowledge_config(get_settings()))


def knowledge() -> Knowledge:
    """The knowledge base chosen by settings (one per process; the model loads on first use)."""
    with _KNOWLEDGE_LOCK:
        return _knowledge_base()


def knowledge_config(settings: Settings) -> KnowledgeConfig:
    """Knowledge-base configuration from the bot's settings (and so from `.env` too)."""
    from knowledge.config import KnowledgeConfig

    changes: dict[str, object] = {
        "data_dir": settings.resolved_data_dir,
        "model_name": settings.embedding_model,
        "chroma_url": settings.chroma_url,
        "top_k": settings.kb_top_k,
        "llm_model": settings.llm_model,
    }
    if settings.kb_threshold is not None:
        changes["threshold"] = settings.kb_threshold
    return KnowledgeConfig().with_(**changes)


def citation_line(answer: Answer, language: str) -> str:
    """Where an answer came from: "Course › Lesson" (or the source file), in `language`."""
    if not answer.citations:
        return ""
    citation = answer.citations[0]
    course = library().get(citation.course) if citation.course else None
    if course is None:
        return citation.title or citation.source
    lesson = course.lesson(citation.lesson) if citation.lesson else None
    place = course.language_for(language)
    title = lesson.text(place, course.source_language).title if lesson else citation.heading
    return " › ".join(x for x in (pick(course.title, language, course.source_language), title) if x)
