"""The supervisor dashboard built from settings: its sign-in service and what its pages need."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.container import Container
    from connectors.dashboard import DashboardServices
    from learning.dashboard_access import DashboardAccess


def build_access(app: Container) -> DashboardAccess:
    """Sign-in links and sessions, valid as long as `KARMABOT_DASHBOARD_*_HOURS` say."""
    from learning.dashboard_access import DashboardAccess

    settings = app.settings
    return DashboardAccess(
        app.sessions,
        link_ttl=timedelta(hours=settings.dashboard_link_hours),
        session_ttl=timedelta(hours=settings.dashboard_session_hours),
    )


def build_dashboard(app: Container) -> DashboardServices:
    """What the dashboard's pages need; cookies are Secure when the public URL is https."""
    from connectors.dashboard import DashboardServices
    from learning.schedule import learner_zone

    settings = app.settings
    return DashboardServices(
        access=app.dashboard_access,
        sessions=app.sessions,
        secret=app.dashboard_secret(),
        zone=learner_zone(settings.timezone),
        library=app.library,
        secure_cookies=settings.resolved_public_url.startswith("https://"),
        client_limit=settings.client_limit,
        campaigns=app.campaigns,
        uploads=settings.resolved_data_dir / "dashboard_uploads",
    )


def signin_link(app: Container, token: str) -> str:
    """The sign-in link of a token, under `KARMABOT_PUBLIC_URL`."""
    return f"{app.settings.resolved_public_url}/dashboard/signin/{token}"
