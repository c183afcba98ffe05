"""The dashboard's locks: signed session cookies, CSRF tokens, small form bodies.

- **Session cookie.** Holds the session id (random, 256 bits) signed with the dashboard
  secret and a timestamp (itsdangerous), HttpOnly, SameSite=Lax, Secure behind https. The
  signature and its age are checked before the database is asked; the database then says
  whether the session is still live and who it belongs to (learning/dashboard_access.py).
- **CSRF.** Every form carries an HMAC of the session id (or, on the sign-in page, of a random
  nonce in its own SameSite=Strict cookie) under the secret; a form without the right one is
  refused with 403 before anything changes. Another site can neither read the token nor make
  the browser send the cookie it is bound to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal
from urllib.parse import parse_qsl

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from connectors.guard import BodyTooLarge, read_body

SESSION_COOKIE = "karmabot_dashboard"
NONCE_COOKIE = "karmabot_dashboard_signin"
COOKIE_PATH = "/dashboard"
#: Seconds the sign-in page's nonce lives (the page must be submitted within it).
NONCE_MAX_AGE = 30 * 60
#: Largest form body accepted (the dashboard's forms carry a token and a few words).
MAX_FORM_BYTES = 8 * 1024

Purpose = Literal["session", "signin"]


class Keys:
    """Signing and CSRF keys derived from the dashboard secret.

    Args:
        secret: `KARMABOT_DASHBOARD_SECRET`, or one kept in the data directory.
        session_max_age: Seconds a signed session cookie is honoured (server-side).
        secure: Mark cookies Secure (the public URL is https).
    """

    def __init__(self, secret: str, session_max_age: int, secure: bool = False) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="karmabot-dashboard-session")
        self._csrf_key = hashlib.sha256(b"karmabot-dashboard-csrf:" + secret.encode()).digest()
        self.session_max_age = session_max_age
        self.secure = secure

    def session_id(self, request: Request) -> str | None:
        """The session id of the request's cookie; None if missing, forged or too old."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            value = self._serializer.loads(cookie, max_age=self.session_max_age)
        except BadSignature:  # SignatureExpired is one too
            return None
        return value if isinstance(value, str) else None

    def set_session(self, response: Response, request: Request, session_id: str) -> None:
        """Give the browser its session cookie."""
        self._set(response, request, SESSION_COOKIE, self._serializer.dumps(session_id),
                  self.session_max_age, "lax")  # fmt: skip

    @staticmethod
    def new_nonce() -> str:
        """A fresh sign-in nonce (random, 128 bits)."""
        return secrets.token_urlsafe(16)

    def set_nonce(self, response: Response, request: Request, nonce: str) -> None:
        """Give the browser the sign-in nonce, in its own short-lived, SameSite=Strict cookie
        (set again on every sign-in page, so its half hour starts again)."""
        self._set(response, request, NONCE_COOKIE, nonce, NONCE_MAX_AGE, "strict")

    def csrf(self, purpose: Purpose, binding: str) -> str:
        """The CSRF token of forms bound to a session id ("session") or a nonce ("signin")."""
        message = f"{purpose}:{binding}".encode()
        return hmac.new(self._csrf_key, message, hashlib.sha256).hexdigest()

    def csrf_ok(self, purpose: Purpose, binding: str | None, given: str | None) -> bool:
        """Whether a form's token matches what it is bound to (constant-time)."""
        if not binding or not given:
            return False
        return hmac.compare_digest(self.csrf(purpose, binding).encode(), given.encode())

    def _set(
        self,
        response: Response,
        request: Request,
        name: str,
        value: str,
        age: int,
        site: Literal["lax", "strict"],
    ) -> None:
        secure = self.secure or _https(request)
        response.set_cookie(name, value, max_age=age, path=COOKIE_PATH, httponly=True,
                            samesite=site, secure=secure)  # fmt: skip


def clear_cookies(response: Response, *names: str) -> None:
    """Remove the dashboard's cookies (or the ones named) from the browser."""
    for name in names or (SESSION_COOKIE, NONCE_COOKIE):
        response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="lax")


def _https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


class FormTooLarge(Exception):
    """The form body is over `MAX_FORM_BYTES`."""


async def read_form(request: Request, cap: int = MAX_FORM_BYTES) -> dict[str, str]:
    """A URL-encoded form body (first value of each field), capped at `cap` bytes.

    Raises:
        FormTooLarge: when the body is over the cap.
    """
    try:
        body = await read_body(request, cap)
    except BodyTooLarge:
        raise FormTooLarge from None
    fields: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(key, value)
    return fields
