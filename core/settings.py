"""One place for configuration: every setting comes from the environment (or `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Karmabot settings, read from environment variables and an optional `.env` file.

    Secrets (bot tokens, database passwords) are only ever read from here, never from
    files in the repository.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("var"), alias="KARMABOT_DATA_DIR")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")

    #: The language of a new learner until they choose one (a catalog language).
    default_language: str = Field(default="en", alias="KARMABOT_DEFAULT_LANGUAGE")

    rasa_url: str = Field(default="http://127.0.0.1:5005", alias="KARMABOT_RASA_URL")
    action_port: int = Field(default=5055, alias="KARMABOT_ACTION_PORT")
    gateway_host: str = Field(default="127.0.0.1", alias="KARMABOT_HOST")
    gateway_port: int = Field(default=8080, alias="KARMABOT_PORT")
    rasa_port: int = Field(default=5005, alias="KARMABOT_RASA_PORT")
    rasa_workers: int = Field(default=1, alias="KARMABOT_RASA_WORKERS")

    max_message_chars: int = Field(default=2000, alias="KARMABOT_MAX_MESSAGE_CHARS")

    # The gateway on the internet (connectors/guard.py, docs/CHANNELS.md).
    #: Lets a caller name a `user` on /chat/api; unset = only callers on this machine may.
    api_token: str | None = Field(default=None, alias="KARMABOT_API_TOKEN")
    #: Signs web chat sessions; unset = a random key kept in the data directory.
    secret_key: str | None = Field(default=None, alias="KARMABOT_SECRET_KEY")
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, alias="KARMABOT_MAX_BODY_BYTES")
    #: Requests per client address on the API ("120/minute", `limits` notation).
    client_limit: str = Field(default="120/minute", alias="KARMABOT_CLIENT_LIMIT")
    #: Messages per learner before "please slow down" ("20/10 seconds").
    flood_limit: str = Field(default="20/10 seconds", alias="KARMABOT_FLOOD_LIMIT")
    #: Other origins allowed to call the API from a browser, comma-separated (none by default).
    cors_origins: str = Field(default="", alias="KARMABOT_CORS_ORIGINS")
    #: The gateway's address as the public reaches it ("https://karmabot.example.gov.in"):
    #: certificates print and encode their verification link under it. Unset = this machine.
    public_url: str | None = Field(default=None, alias="KARMABOT_PUBLIC_URL")

    # The supervisor dashboard (/dashboard, docs/DASHBOARD.md).
    #: Signs dashboard session cookies and CSRF tokens; unset = a random key kept in the data
    #: directory (set it when several gateways serve the dashboard).
    dashboard_secret: str | None = Field(default=None, alias="KARMABOT_DASHBOARD_SECRET")
    #: Hours a sign-in link from `karmabot supervisors invite` works (once).
    dashboard_link_hours: float = Field(
        default=24, gt=0, le=30 * 24, alias="KARMABOT_DASHBOARD_LINK_HOURS"
    )
    #: Hours a dashboard session lasts before the supervisor signs in again.
    dashboard_session_hours: float = Field(
        default=12, gt=0, le=30 * 24, alias="KARMABOT_DASHBOARD_SESSION_HOURS"
    )

    content_dir: Path = Field(default=PROJECT_ROOT / "content", alias="KARMABOT_CONTENT_DIR")
    quiz_pass_mark: int = Field(default=60, ge=0, le=100, alias="KARMABOT_QUIZ_PASS_MARK")
    points_lesson: int = Field(default=10, ge=0, alias="KARMABOT_POINTS_LESSON")
    points_quiz_passed: int = Field(default=20, ge=0, alias="KARMABOT_POINTS_QUIZ_PASSED")
    points_course_completed: int = Field(default=50, ge=0, alias="KARMABOT_POINTS_COURSE_COMPLETED")

    # Sync to the learning platform: each sink is on when its URL is set.
    lrs_url: str | None = Field(default=None, alias="KARMABOT_LRS_URL")
    lrs_username: str | None = Field(default=None, alias="KARMABOT_LRS_USERNAME")
    lrs_password: str | None = Field(default=None, alias="KARMABOT_LRS_PASSWORD")
    xapi_home_page: str = Field(
        default="https://karmabot.example.org", alias="KARMABOT_XAPI_HOME_PAGE"
    )
    xapi_activity_base: str = Field(
        default="https://karmabot.example.org/xapi", alias="KARMABOT_XAPI_ACTIVITY_BASE"
    )
    sunbird_url: str | None = Field(default=None, alias="KARMABOT_SUNBIRD_URL")
    sunbird_api_key: str | None = Field(default=None, alias="KARMABOT_SUNBIRD_API_KEY")
    sunbird_user_token: str | None = Field(default=None, alias="KARMABOT_SUNBIRD_USER_TOKEN")
    sunbird_batch_id: str | None = Field(default=None, alias="KARMABOT_SUNBIRD_BATCH_ID")
    #: Batch per course for enrollments with no batch of their own: "course-a:b1,course-b:b2".
    sunbird_batches: str = Field(default="", alias="KARMABOT_SUNBIRD_BATCHES")

    # Knowledge base (knowledge/): every value has a working offline default.
    embedding_model: str = Field(default="all-MiniLM-L6-v2", alias="KARMABOT_EMBEDDING_MODEL")
    chroma_url: str | None = Field(default=None, alias="CHROMA_URL")
    kb_threshold: float | None = Field(default=None, alias="KARMABOT_KB_THRESHOLD")
    kb_top_k: int = Field(default=3, ge=1, le=10, alias="KARMABOT_KB_TOP_K")
    kb_collection: str = Field(default="karmabot-knowledge", alias="KARMABOT_KB_COLLECTION")
    embedding_device: str = Field(default="cpu", alias="KARMABOT_EMBEDDING_DEVICE")
    llm_model: str | None = Field(default=None, alias="KARMABOT_LLM_MODEL")

    # Telegram (connectors/telegram.py): on when the token is set.
    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    #: "polling" (a laptop, no public URL) or "webhook" (production; `karmabot telegram
    #: set-webhook URL` registers it once).
    telegram_mode: Literal["polling", "webhook"] = Field(
        default="polling", alias="KARMABOT_TELEGRAM_MODE"
    )
    telegram_webhook_secret: str | None = Field(
        default=None, alias="KARMABOT_TELEGRAM_WEBHOOK_SECRET"
    )
    #: The Bot API's base URL (tests point it at a local fake).
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot", alias="KARMABOT_TELEGRAM_API_URL"
    )
    telegram_rate: float = Field(default=30.0, gt=0, alias="KARMABOT_TELEGRAM_RATE")

    # WhatsApp Cloud API (connectors/whatsapp.py): on when the token and phone-number id are set.
    whatsapp_token: str | None = Field(default=None, alias="WHATSAPP_ACCESS_TOKEN")
    whatsapp_phone_number_id: str | None = Field(default=None, alias="WHATSAPP_PHONE_NUMBER_ID")
    whatsapp_app_secret: str | None = Field(default=None, alias="WHATSAPP_APP_SECRET")
    whatsapp_verify_token: str | None = Field(default=None, alias="WHATSAPP_VERIFY_TOKEN")
    #: The Graph API's base URL, version included (tests point it at a local fake).
    whatsapp_api_url: str = Field(
        default="https://graph.facebook.com/v21.0", alias="KARMABOT_WHATSAPP_API_URL"
    )
    whatsapp_rate: float = Field(default=80.0, gt=0, alias="KARMABOT_WHATSAPP_RATE")
    #: The approved template used outside the 24-hour window, and its language codes per
    #: Karmabot language ("en:en_US,hi:hi,ta:ta").
    whatsapp_template: str | None = Field(default=None, alias="KARMABOT_WHATSAPP_TEMPLATE")
    whatsapp_template_languages: str = Field(
        default="en:en,hi:hi,ta:ta,bn:bn", alias="KARMABOT_WHATSAPP_TEMPLATE_LANGUAGES"
    )

    # Nudges and campaigns (the worker: `karmabot worker`, started by `make run`).
    #: The learners' time zone unless the roster gives one (quiet hours, deadlines).
    timezone: str = Field(default="Asia/Kolkata", alias="KARMABOT_TIMEZONE")
    #: No nudge or campaign message in these local hours ("21:00-08:00"; "off" for none).
    quiet_hours: str = Field(default="21:00-08:00", alias="KARMABOT_QUIET_HOURS")
    #: Automatic nudges per learner per local day (campaigns are not capped).
    nudge_daily_cap: int = Field(default=1, ge=0, alias="KARMABOT_NUDGE_DAILY_CAP")
    #: Nudge a learner this many days after their last step in an unfinished course (0: off).
    nudge_inactive_days: int = Field(default=3, ge=0, alias="KARMABOT_NUDGE_INACTIVE_DAYS")
    #: Deadline reminders this many days before a mandatory course's due date, and on the day.
    nudge_deadline_days: str = Field(default="7,1", alias="KARMABOT_NUDGE_DEADLINE_DAYS")
    #: Spaced review of missed quiz questions (1, 3, 10, 30, 60 days).
    review_nudges: bool = Field(default=True, alias="KARMABOT_REVIEW_NUDGES")
    #: This worker's name; a restarted worker recovers what it left behind under the same
    #: name, so give each of several workers its own (default: the host name).
    worker_name: str | None = Field(default=None, alias="KARMABOT_WORKER_NAME")
    #: Sends a worker keeps in flight at once.
    worker_concurrency: int = Field(default=32, ge=1, le=256, alias="KARMABOT_WORKER_CONCURRENCY")

    # Rasa launcher (bot/rasa_server.py): its measured speed-ups of Rasa's internals; off
    # starts stock Rasa.
    rasa_patches: bool = Field(default=True, alias="KARMABOT_RASA_PATCHES")

    def as_env(self) -> dict[str, str]:
        """Every setting that has a value, as the environment variables that set it.

        `karmabot up` passes this to each child process, so the action server, Rasa and the
        gateway see exactly the settings the supervisor read (a `.env` in another working
        directory included). Paths are made absolute; unset optional values are left out.
        """
        env: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, Path):
                value = value.expanduser().resolve()
            elif isinstance(value, bool):
                value = "true" if value else "false"
            env[str(field.alias)] = str(value)
        return env

    @property
    def sync_sinks(self) -> tuple[str, ...]:
        """The outbox sinks that are configured ("lrs", "sunbird")."""
        return tuple(
            name for name, url in (("lrs", self.lrs_url), ("sunbird", self.sunbird_url)) if url
        )

    @property
    def resolved_public_url(self) -> str:
        """`KARMABOT_PUBLIC_URL` without a trailing slash, else the gateway's local address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.gateway_host in ("0.0.0.0", "::", "") else self.gateway_host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.gateway_port}"

    @property
    def sunbird_batch_map(self) -> dict[str, str]:
        """`KARMABOT_SUNBIRD_BATCHES` as {course id: batch id}."""
        pairs = (item.partition(":") for item in self.sunbird_batches.split(","))
        return {c.strip(): b.strip() for c, _, b in pairs if c.strip() and b.strip()}

    @property
    def resolved_data_dir(self) -> Path:
        """The data directory as an absolute path (created on demand by callers)."""
        return self.data_dir.expanduser().resolve()

    @property
    def sql_url(self) -> str:
        """The learner store URL: `DATABASE_URL`, else SQLite under the data directory."""
        if self.database_url:
            return normalise_db_url(self.database_url)
        return f"sqlite:///{self.resolved_data_dir / 'karmabot.db'}"


def normalise_db_url(url: str) -> str:
    """Map the common `postgres://` and `postgresql://` forms onto the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
