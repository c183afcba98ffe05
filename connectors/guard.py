"""The gateway's locks: web chat sessions the server issues, API tokens, body caps, rate limits.

- **Web chat identity.** The page never names its own user: the gateway issues a random id in
  a signed, HttpOnly, SameSite=Strict cookie (itsdangerous), and `/chat/api` reads it back.
- **JSON API.** A caller that names a `user` needs `Authorization: Bearer <KARMABOT_API_TOKEN>`;
  with no token configured, only loopback callers may (the console, scripts on the host).
- **Limits.** Every request body is capped, and requests per client address are rate-limited.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
import uuid

from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request

SESSION_COOKIE = "karmabot_session"
SESSION_MAX_AGE = 365 * 24 * 3600


class BodyTooLarge(Exception):
    """The request body is over the cap."""


class WebSessions:
    """Signed web chat identities.

    Args:
        secret: The signing key (`KARMABOT_SECRET_KEY`, or one kept in the data directory).
    """

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="karmabot-webchat")

    def issue(self) -> tuple[str, str]:
        """A new (web user id, cookie value)."""
        user = "web-" + uuid.uuid4().hex
        return user, self._serializer.dumps(user)

    def read(self, cookie: str | None) -> str | None:
        """The web user id a cookie carries, or None if it is missing, forged or too old."""
        if not cookie:
            return None
        try:
            user = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        return user if isinstance(user, str) and user.startswith("web-") else None


def is_loopback(request: Request) -> bool:
    """Whether the request comes from this machine."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bearer_matches(request: Request, token: str | None) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (False with no token set)."""
    if not token:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


async def read_body(request: Request, cap: int) -> bytes:
    """The request body, read in chunks and refused as soon as it passes `cap` bytes.

    Raises:
        BodyTooLarge: when the declared or actual size is over the cap.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise BodyTooLarge
    return bytes(body)


class ClientLimits:
    """Requests per client address in a moving window (in this process).

    Callers on this machine are not limited: they are the operator's own tools (the console,
    scripts, the benchmark). Behind a reverse proxy the client address is the one the proxy
    forwards (uvicorn trusts `X-Forwarded-For` from 127.0.0.1), so remote users are still
    limited one by one.

    Args:
        limit: The limit in `limits` notation ("120/minute").
    """

    def __init__(self, limit: str) -> None:
        self._limit = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, request: Request) -> bool:
        """Count the request; False when its address is over the limit."""
        if is_loopback(request):
            return True
        host = request.client.host if request.client else "unknown"
        return self._limiter.hit(self._limit, "client", host)

    def retry_after(self, request: Request) -> int:
        """Seconds until the address may send again."""
        host = request.client.host if request.client else "unknown"
        reset, _ = self._limiter.get_window_stats(self._limit, "client", host)
        return max(1, int(reset - time.time()) + 1)
