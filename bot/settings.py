"""One place for configuration: every setting comes from the environment (or `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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

    default_language: str = Field(default="en", alias="KARMABOT_DEFAULT_LANGUAGE")

    rasa_url: str = Field(default="http://127.0.0.1:5005", alias="KARMABOT_RASA_URL")
    action_port: int = Field(default=5055, alias="KARMABOT_ACTION_PORT")
    gateway_host: str = Field(default="127.0.0.1", alias="KARMABOT_HOST")
    gateway_port: int = Field(default=8080, alias="KARMABOT_PORT")
    rasa_port: int = Field(default=5005, alias="KARMABOT_RASA_PORT")
    rasa_workers: int = Field(default=1, alias="KARMABOT_RASA_WORKERS")

    max_message_chars: int = Field(default=2000, alias="KARMABOT_MAX_MESSAGE_CHARS")

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
