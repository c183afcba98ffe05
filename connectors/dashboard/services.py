"""What the dashboard is handed by the composition root, and who is signed in on a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from connectors.dashboard.auth import SESSION_COOKIE, Keys, clear_cookies
from connectors.dashboard.render import with_language
from connectors.dashboard.text import url_language
from learning.campaigns import Actor, Campaigns
from learning.content import Library
from learning.dashboard_access import DashboardAccess
from learning.models import utcnow
from learning.store import Clock


@dataclass(frozen=True)
class DashboardServices:
    """What the dashboard needs.

    Attributes:
        access: Sign-in links and sessions (learning/dashboard_access.py).
        sessions: The learner store the figures are counted in.
        secret: Signs session cookies and CSRF tokens (`KARMABOT_DASHBOARD_SECRET`).
        zone: The deployment's time zone ("today" for due dates, week labels).
        library: The courses, for their titles.
        secure_cookies: Mark cookies Secure (the public URL is https).
        client_limit: Sign-in requests per client address (`limits` notation).
        clock: The current time.
        campaigns: The campaign service (the campaign pages make one on `sessions` if None).
        uploads: Where roster uploads wait for their Apply button (the data directory's
            `dashboard_uploads`; a temporary directory if None).
    """

    access: DashboardAccess
    sessions: sessionmaker[Session]
    secret: str
    zone: tzinfo
    library: Library = field(default_factory=Library)
    secure_cookies: bool = False
    client_limit: str = "120/minute"
    clock: Clock = utcnow
    campaigns: Campaigns | None = None
    uploads: Path | None = None

    def keys(self) -> Keys:
        """Cookie and CSRF keys; a signed cookie is honoured as long as a session lasts."""
        seconds = int(self.access.session_ttl.total_seconds())
        return Keys(self.secret, seconds, self.secure_cookies)


async def signed_in(
    services: DashboardServices, keys: Keys, request: Request
) -> tuple[Actor, str] | None:
    """(the actor, their session id) when the request carries a live session, else None.

    The learner's access and organisation are read again on every request.
    """
    session_id = keys.session_id(request)
    if session_id is None:
        return None
    actor = await run_in_threadpool(services.access.actor, session_id)
    return (actor, session_id) if actor is not None else None


async def signed_in_or_redirect(
    services: DashboardServices, keys: Keys, request: Request
) -> tuple[Actor, str] | Response:
    """(the actor, their session id), or the redirect to the sign-in help page for a page.

    The redirect clears the cookies and says the session ended when the request carried one.
    """
    current = await signed_in(services, keys, request)
    if current is not None:
        return current
    ended = "1" if SESSION_COOKIE in request.cookies else ""
    response = RedirectResponse(
        with_language("/dashboard/signin", url_language(request), ended=ended), 303
    )
    clear_cookies(response)
    return response
