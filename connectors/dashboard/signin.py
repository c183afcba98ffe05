"""Signing in with a one-time link, and signing out.

`GET /dashboard/signin/{token}` only shows a page with a button: mail and chat apps fetch links
to preview or scan them, and a GET that used the link would burn it before the supervisor
clicks. The button POSTs the form back with a CSRF token bound to a nonce cookie, so another
site cannot sign a visitor in to an account of its choosing; the POST uses the link and sets
the session cookie. Sign-in routes are rate-limited per client address.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from connectors.dashboard.auth import NONCE_COOKIE, FormTooLarge, clear_cookies, read_form
from connectors.dashboard.render import message, page, with_language
from connectors.dashboard.services import DashboardServices
from connectors.dashboard.text import url_language
from connectors.guard import ClientLimits

#: What a link that cannot be used says, and with which status.
REFUSALS = {
    "used": ("link_used", 410),
    "expired": ("link_expired", 410),
    "unknown": ("link_unknown", 404),
    "refused": ("link_refused", 403),
}


class SignIn:
    """The sign-in and sign-out endpoints.

    Args:
        services: What the dashboard is handed.
    """

    def __init__(self, services: DashboardServices) -> None:
        self._services = services
        self._keys = services.keys()
        self._limits = ClientLimits(services.client_limit)

    async def help(self, request: Request) -> Response:
        """`GET /dashboard/signin`: how to sign in (and "signed out", after signing out)."""
        note = "signed_out" if request.query_params.get("signed_out") else None
        note = "session_ended" if request.query_params.get("ended") else note
        return page(request, "signin_help.html", note=note)

    async def link(self, request: Request) -> Response:
        """`GET /dashboard/signin/{token}`: the confirm page; the link stays unused."""
        if not self._limits.allow(request):
            return message(request, "too_many", 429)
        token = str(request.path_params["token"])
        state = await run_in_threadpool(self._services.access.link_state, token)
        if state != "valid":
            return message(request, *REFUSALS[state])
        # One nonce per browser for its lifetime, so a link opened in two tabs works in both.
        nonce = request.cookies.get(NONCE_COOKIE) or self._keys.new_nonce()
        response = page(request, "signin.html", csrf=self._keys.csrf("signin", nonce))
        self._keys.set_nonce(response, request, nonce)
        return response

    async def redeem(self, request: Request) -> Response:
        """`POST /dashboard/signin/{token}`: use the link and start a session."""
        if not self._limits.allow(request):
            return message(request, "too_many", 429)
        try:
            form = await read_form(request)
        except FormTooLarge:
            return message(request, "forbidden", 413)
        nonce = request.cookies.get(NONCE_COOKIE)
        if not self._keys.csrf_ok("signin", nonce, form.get("csrf")):
            return message(request, "forbidden", 403)
        token = str(request.path_params["token"])
        state, session_id = await run_in_threadpool(self._services.access.redeem, token)
        if session_id is None:
            return message(request, *REFUSALS.get(state, REFUSALS["used"]))
        response = RedirectResponse(with_language("/dashboard/", url_language(request)), 303)
        clear_cookies(response, NONCE_COOKIE)
        self._keys.set_session(response, request, session_id)
        return response

    async def sign_out(self, request: Request) -> Response:
        """`POST /dashboard/signout`: end the session (the form's CSRF token must match it)."""
        try:
            form = await read_form(request)
        except FormTooLarge:
            return message(request, "forbidden", 413)
        session_id = self._keys.session_id(request)
        if session_id is not None:
            if not self._keys.csrf_ok("session", session_id, form.get("csrf")):
                return message(request, "forbidden", 403)
            await run_in_threadpool(self._services.access.sign_out, session_id)
        path = with_language("/dashboard/signin", url_language(request), signed_out="1")
        response = RedirectResponse(path, 303)
        clear_cookies(response)
        return response
