"""The composition root: every service Karmabot runs, built once per process from `Settings`.

Each process entry point (the action server and the gateway in `bot.serve`, the CLI, later the
delivery worker) builds one `Container` and hands the adapters what they need. Nothing below
this layer reads the environment or picks an implementation: the choices (SQLite or
PostgreSQL, which sinks, which embedding model) are made here, once (docs/ARCHITECTURE.md,
D15).

Construction is lazy: a property builds its service on first use (opening the database and
migrating it, loading course content, loading the embedding model), so a CLI command pays
only for what it touches, and importing this module does no I/O.
"""

from __future__ import annotations

import os
import secrets
import threading
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from core.i18n import Catalog, get_catalog
from core.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from actions.services import ActionServices
    from connectors.channel import Channel
    from connectors.conversation import Conversation
    from connectors.gateway import GatewayPolicy, GatewayServices
    from knowledge.base import KnowledgeBase
    from knowledge.config import KnowledgeConfig
    from learning.buttons import ButtonKeys
    from learning.campaigns import Campaigns
    from learning.content import Library
    from learning.dashboard_access import DashboardAccess
    from learning.deliveries import Deliveries
    from learning.inbox import Inbox
    from learning.invites import Invites
    from learning.journey import Journey
    from learning.records import RecordStore
    from learning.repository import LearnerRepository
    from learning.review import Reviews
    from learning.sends import SendQueue
    from learning.sync import SyncJob


class ConfigurationError(ValueError):
    """A setting has a value Karmabot cannot run with; the message says which and why."""


class Container:
    """Builds and holds the services of one process.

    Args:
        settings: The process's settings (`core.settings.get_settings()` by default).
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._knowledge_lock = threading.Lock()
        self._knowledge: KnowledgeBase | None = None

    # -- ground --------------------------------------------------------------------------

    @cached_property
    def catalog(self) -> Catalog:
        """The localized catalog (every locale parsed and checked once)."""
        return get_catalog()

    @cached_property
    def default_language(self) -> str:
        """The language of a new learner: `KARMABOT_DEFAULT_LANGUAGE`, a catalog language."""
        language = self.settings.default_language
        if language not in self.catalog.languages():
            raise ConfigurationError(
                f"KARMABOT_DEFAULT_LANGUAGE={language!r} is not a catalog language "
                f"({', '.join(self.catalog.languages())})"
            )
        return language

    # -- learner records -------------------------------------------------------------------

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Sessions on the learner store, migrated to the latest schema first."""
        from learning.db import cached_engine, session_factory, upgrade

        url = self.settings.sql_url
        if self.settings.database_url is None:
            self.settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
        engine = cached_engine(url)
        upgrade(url, engine)
        return session_factory(engine)

    @cached_property
    def learners(self) -> LearnerRepository:
        """The learner repository (SQLite by default, PostgreSQL with `DATABASE_URL`)."""
        from learning.repository import SqlLearnerRepository

        return SqlLearnerRepository(self.sessions, default_language=self.default_language)

    @cached_property
    def records(self) -> RecordStore:
        """The learner-record store, with the configured sinks and Karma Points rules."""
        from zoneinfo import ZoneInfo

        from learning.records import PointsRules, RecordStore

        settings = self.settings
        rules = PointsRules(
            settings.points_lesson, settings.points_quiz_passed, settings.points_course_completed
        )
        zone = ZoneInfo(settings.timezone)
        return RecordStore(self.sessions, sinks=settings.sync_sinks, points=rules, zone=zone)

    @cached_property
    def library(self) -> Library:
        """The course content (empty when the content folder does not exist)."""
        from learning.content import Library
        from learning.content_loader import load

        folder = self.settings.content_dir
        return load(folder) if folder.is_dir() else Library()

    @cached_property
    def journey(self) -> Journey:
        """The course engine over the content and the learner records."""
        from learning.journey import Journey

        return Journey(
            self.library, self.records, pass_mark=self.settings.quiz_pass_mark,
            reviews=self.reviews,
        )  # fmt: skip

    @cached_property
    def reviews(self) -> Reviews:
        """Missed quiz questions and their spaced reviews."""
        from learning.review import Reviews

        return Reviews(self.sessions, self.library)

    @cached_property
    def send_queue(self) -> SendQueue:
        """The queue of unprompted sends (planned here; the worker claims with its own name)."""
        from learning.sends import SendQueue

        return SendQueue(self.sessions)

    @cached_property
    def campaigns(self) -> Campaigns:
        """Supervisors' campaigns (the chat menu, the admin API, the CLI)."""
        from learning.campaigns import Campaigns

        return Campaigns(self.sessions, self.send_queue)

    def sync_job(self) -> SyncJob | None:
        """The job that sends outbox events to the configured LRS and Sunbird, if any."""
        from learning.outbox import SqlOutbox
        from learning.sync import LrsSink, Sink, SunbirdSink, SyncJob

        settings = self.settings
        sinks: list[Sink] = []
        if settings.lrs_url:
            sinks.append(
                LrsSink(
                    settings.lrs_url,
                    settings.lrs_username or "",
                    settings.lrs_password or "",
                    home_page=settings.xapi_home_page,
                    activity_base=settings.xapi_activity_base,
                )
            )
        if settings.sunbird_url:
            sinks.append(
                SunbirdSink(
                    settings.sunbird_url,
                    sessions=self.sessions,
                    batch_id=settings.sunbird_batch_id,
                    batches=settings.sunbird_batch_map,
                    api_key=settings.sunbird_api_key,
                    user_token=settings.sunbird_user_token,
                )
            )
        return SyncJob(SqlOutbox(self.sessions), sinks) if sinks else None

    # -- knowledge base --------------------------------------------------------------------

    @cached_property
    def knowledge_config(self) -> KnowledgeConfig:
        """Knowledge-base configuration from settings."""
        from knowledge.config import KnowledgeConfig

        settings = self.settings
        config = KnowledgeConfig(
            data_dir=settings.resolved_data_dir,
            model_name=settings.embedding_model,
            chroma_url=settings.chroma_url,
            collection=settings.kb_collection,
            top_k=settings.kb_top_k,
            llm_model=settings.llm_model,
            device=settings.embedding_device,
        )
        if settings.kb_threshold is not None:
            config = config.with_(threshold=settings.kb_threshold)
        return config

    def knowledge(self) -> KnowledgeBase:
        """The knowledge base (one per process; its model loads on first use, thread-safe)."""
        with self._knowledge_lock:
            if self._knowledge is None:
                from knowledge.base import KnowledgeBase

                self._knowledge = KnowledgeBase(self.knowledge_config)
            return self._knowledge

    # -- what each adapter is handed ---------------------------------------------------------

    def action_services(self) -> ActionServices:
        """What the Rasa actions need."""
        from actions.services import ActionServices
        from learning.dashboard_insight_gaps import GapQuestions
        from learning.supervisor import Supervision

        return ActionServices(
            learners=self.learners,
            journey=self.journey,
            catalog=self.catalog,
            knowledge=self.knowledge,
            reviews=self.reviews,
            supervision=Supervision(self.sessions, self.campaigns, self.library, self.catalog),
            gaps=GapQuestions(self.sessions),
        )

    @cached_property
    def conversation(self) -> Conversation:
        """One turn for every channel: the Rasa client, the learner store, the guards."""
        from connectors.conversation import Conversation
        from connectors.rasa_client import RasaClient

        settings = self.settings
        return Conversation(
            RasaClient(settings.rasa_url),
            self.learners,
            self.catalog,
            max_chars=settings.max_message_chars,
            flood_limit=settings.flood_limit,
        )

    def secret_key(self) -> str:
        """`KARMABOT_SECRET_KEY`, else a random key kept in the data directory (made once)."""
        return self._kept_secret(self.settings.secret_key, "secret_key")

    def dashboard_secret(self) -> str:
        """`KARMABOT_DASHBOARD_SECRET`, else a random key kept in the data directory.

        Apart from the web chat's key, so rotating one signs supervisors out without
        forgetting every web chat visitor, and the reverse.
        """
        return self._kept_secret(self.settings.dashboard_secret, "dashboard_secret")

    def _kept_secret(self, value: str | None, name: str) -> str:
        """`value` when set, else a random key in the data directory file `name` (mode 0600,
        made once, so every process on this host signs with the same one)."""
        if value:
            return value
        path = self.settings.resolved_data_dir / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    def gateway_policy(self) -> GatewayPolicy:
        """How the gateway guards its door, from settings."""
        from connectors.gateway import GatewayPolicy

        settings = self.settings
        origins = tuple(o.strip() for o in settings.cors_origins.split(",") if o.strip())
        return GatewayPolicy(
            secret_key=self.secret_key(),
            api_token=settings.api_token,
            max_body_bytes=settings.max_body_bytes,
            client_limit=settings.client_limit,
            cors_origins=origins,
        )

    def channels(self) -> list[Channel]:
        """The messaging channels whose settings are present (bot/channels.py)."""
        from bot.channels import build_channels

        return build_channels(self)

    @cached_property
    def inbox(self) -> Inbox:
        """Inbound deliveries seen, and each channel link's last message."""
        from learning.inbox import Inbox

        return Inbox(self.sessions)

    @cached_property
    def deliveries(self) -> Deliveries:
        """The outbound message log, with the statuses channels report."""
        from learning.deliveries import Deliveries

        return Deliveries(self.sessions)

    @cached_property
    def button_keys(self) -> ButtonKeys:
        """Short keys for button payloads too long for a channel."""
        from learning.buttons import ButtonKeys

        return ButtonKeys(self.sessions)

    @cached_property
    def invites(self) -> Invites:
        """One-time codes that link chat accounts to roster learners."""
        from learning.invites import Invites

        return Invites(self.sessions)

    @cached_property
    def dashboard_access(self) -> DashboardAccess:
        """Dashboard sign-in links and sessions (bot/dashboard.py)."""
        from bot.dashboard import build_access

        return build_access(self)

    def gateway_services(self) -> GatewayServices:
        """What the gateway needs."""
        from bot.dashboard import build_dashboard
        from connectors.admin_api import admin_routes
        from connectors.dashboard import dashboard_routes
        from connectors.gateway import GatewayServices
        from learning.tokens import ApiTokens

        policy = self.gateway_policy()
        admin = admin_routes(
            self.campaigns, ApiTokens(self.sessions), self.sessions, self.send_queue,
            max_body_bytes=policy.max_body_bytes,
        )  # fmt: skip
        return GatewayServices(
            conversation=self.conversation,
            records=self.records,
            policy=policy,
            sync=self.sync_job(),
            channels=self.channels(),
            admin_routes=admin,
            dashboard_routes=dashboard_routes(build_dashboard(self)),
            public_url=self.settings.resolved_public_url,
        )


@lru_cache(maxsize=1)
def container() -> Container:
    """The process-wide container, from the process's settings."""
    return Container(get_settings())
