"""A small client for the WhatsApp Cloud API (Graph): send messages, upload media.

It runs on aiohttp, as the gateway's Rasa client and PTB's requests do (D26 in
docs/ARCHITECTURE.md): per call it costs a fraction of httpx's CPU.

Every call is paced by one limiter (80 messages a second by default), and rate limits and
short outages are retried with exponential back-off and jitter (tenacity), a bounded
number of times. Graph errors are classified once, here:

- transient (retried): HTTP 429 and 5xx, 130429 (throughput), 131056 (pair rate), 4 and 80007
  (app and account rate limits), 1, 2, 131000, 131016 and 133004 (service trouble), and
  failures to connect at all;
- recipient (permanent, never retried, the learner is unreachable on WhatsApp): 131026
  (undeliverable), 131021 (recipient is the sender), 131030 (not on the allowed list), 131050
  (the user stopped marketing messages);
- final (never retried, but nothing is wrong with the learner): everything else, such as 100
  and 131008/131009 (bad parameters), 131047 (outside the 24-hour window), 131051 (unsupported
  type), 132xxx (template errors), 131049/131048 (Meta held the message back), 190 (token),
  and a request that got no answer (it may have been sent, so it is not sent again).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

logger = logging.getLogger(__name__)

RATE_LIMITED = frozenset({4, 80007, 130429, 131056})
TRANSIENT_CODES = RATE_LIMITED | {1, 2, 131000, 131016, 133004}
RECIPIENT_CODES = frozenset({131021, 131026, 131030, 131050})


class ErrorKind(StrEnum):
    """What a failed call means for retrying it."""

    TRANSIENT = "transient"
    RECIPIENT = "recipient"
    FINAL = "final"


def classify(code: int | None, http_status: int | None) -> ErrorKind:
    """The kind of a Graph error, from its code and the HTTP status it came with."""
    if code in RECIPIENT_CODES:
        return ErrorKind.RECIPIENT
    if code in TRANSIENT_CODES or http_status == 429 or (http_status or 0) >= 500:
        return ErrorKind.TRANSIENT
    return ErrorKind.FINAL


class GraphError(RuntimeError):
    """A Graph API call failed.

    Attributes:
        code: The Graph error code, None when the API never answered.
        http_status: The HTTP status, None when there was no answer.
        kind: Transient (retry), recipient (the learner cannot be reached) or final;
            classified from the code and status unless given.
        retry_after: Seconds the API asked us to wait, if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.kind = kind or classify(code, http_status)
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        """Whether the learner is unreachable on this channel (never retry them)."""
        return self.kind is ErrorKind.RECIPIENT


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers["retry-after"])
    except (KeyError, ValueError):
        return None


def error_from(status: int, headers: Mapping[str, str], body: bytes, reason: str) -> GraphError:
    """The `GraphError` for an error response (Graph's `{"error": {...}}`, or anything)."""
    try:
        parsed = json.loads(body)
        error = (parsed.get("error") if isinstance(parsed, dict) else None) or {}
    except ValueError:
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    details = (error.get("error_data") or {}).get("details") if isinstance(error, dict) else None
    text = body[:200].decode("utf-8", "replace")
    message = str(error.get("message") or text or reason)
    return GraphError(
        f"{message} ({details})" if details else message,
        code=code,
        http_status=status,
        retry_after=_retry_after(headers),
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried.

    Attributes:
        attempts: Tries in all, the first one included.
        base_s: The first wait; each next one doubles, plus up to base_s at random (jitter).
        max_s: The longest wait between two tries (a `Retry-After` is honoured up to it).
    """

    attempts: int = 5
    base_s: float = 1.0
    max_s: float = 30.0


class GraphClient:
    """Calls to one WhatsApp business phone number.

    Args:
        base_url: The Graph API's base URL, version included.
        phone_number_id: The business phone number's id.
        token: The access token.
        rate: Calls per second at most.
        retry: How transient failures are retried.
        timeout: Seconds for one call.
        sleep: How to wait between tries (tests).
    """

    def __init__(
        self,
        base_url: str,
        phone_number_id: str,
        token: str,
        *,
        rate: float = 80.0,
        retry: RetryPolicy | None = None,
        timeout: float = 15.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._base = f"{base_url.rstrip('/')}/{phone_number_id}"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._rate = rate
        self._retry = retry or RetryPolicy()
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 5.0))
        self._sleep = sleep
        self._http: aiohttp.ClientSession | None = None
        self._limiter: AsyncLimiter | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._http

    def _wait(self, state: RetryCallState) -> float:
        retry = self._retry
        backoff = wait_exponential_jitter(
            multiplier=retry.base_s, max=retry.max_s, jitter=retry.base_s
        )
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None) or 0.0
        return max(backoff(state), min(asked, retry.max_s))

    async def _once(
        self, path: str, body: dict[str, Any] | None, form: Callable[[], aiohttp.FormData] | None
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"json": body} if form is None else {"data": form()}
        if self._limiter is None:
            self._limiter = AsyncLimiter(self._rate, 1.0)
        async with self._limiter:
            try:
                async with self._client().post(f"{self._base}/{path}", **request) as response:
                    status, answer = response.status, await response.read()
                    headers, reason = response.headers, response.reason or ""
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                message = f"cannot reach the Graph API: {exc!r}"  # nothing was sent
                raise GraphError(message, kind=ErrorKind.TRANSIENT) from exc
            except (aiohttp.ClientError, TimeoutError) as exc:  # it may have been sent: never
                raise GraphError(f"no answer from the Graph API: {exc!r}") from exc  # again
        if 200 <= status < 300:
            try:
                return dict(json.loads(answer))
            except (ValueError, TypeError) as exc:
                raise GraphError(f"the Graph API answered {status} with no JSON") from exc
        raise error_from(status, headers, answer, reason)

    async def _post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        """POST JSON `body`, or the multipart form `form()` builds (afresh for each try)."""

        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            logger.warning("WhatsApp %s: %s; retry %d", path, error, state.attempt_number)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(
                lambda e: isinstance(e, GraphError) and e.kind is ErrorKind.TRANSIENT
            ),
            sleep=self._sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        result: dict[str, Any] = await retrying(self._once, path, body, form)
        return result

    async def send(self, to: str, body: dict[str, Any]) -> str:
        """Send one message (`body`: type and content) to `to`; returns its wamid."""
        message = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        answer = await self._post("messages", message | body)
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise GraphError(f"the Graph API accepted a message without an id: {answer}") from exc

    async def upload(self, data: bytes, filename: str, mime: str) -> str:
        """Upload a media file; returns its media id (valid for 30 days)."""

        def form() -> aiohttp.FormData:
            fields = aiohttp.FormData({"messaging_product": "whatsapp", "type": mime})
            fields.add_field("file", data, filename=filename, content_type=mime)
            return fields

        answer = await self._post("media", form=form)
        if "id" not in answer:
            raise GraphError(f"the Graph API stored media without an id: {answer}")
        return str(answer["id"])

    async def aclose(self) -> None:
        """Close pooled connections."""
        if self._http is not None:
            await self._http.close()
            self._http = None
