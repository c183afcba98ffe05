"""Alembic environment: runs on the connection handed over by learning.db.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import learning.activity_models  # registers the dashboard's rollups
import learning.campaign_models  # registers the campaign tables on Base
import learning.channel_models  # registers the channel tables on Base
import learning.dashboard_insight_gaps  # registers the dashboard's gap questions
import learning.dashboard_models  # noqa: F401  # registers the dashboard's sign-in tables
from learning.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations online, on the given connection or a new one from `sqlalchemy.url`."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
