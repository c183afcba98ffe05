"""python-telegram-bot's networking on aiohttp: the same `Bot`, a cheaper HTTP client under it.

PTB talks to the Bot API through a `telegram.request.BaseRequest`; its default, `HTTPXRequest`,
spends most of a send's CPU in httpcore's pool bookkeeping (every request checks every idle
connection with a socket call), which is what limited a worker to ~170 messages a second on
2 cores. aiohttp's connector does the same job for a fraction of that; the gateway already
uses it for Rasa (connectors/rasa_client.py). PTB's own retries, error mapping (`RetryAfter`,
`Forbidden`, `BadRequest` …) and parsing above this layer are unchanged. D26 in
docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


def _value(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession` with a bounded connection pool.

    Args:
        connection_pool_size: Connections kept open to the Bot API at most.
        read_timeout: Seconds to wait for each read of the answer (PTB adds the long-poll
            time for `getUpdates` itself).
        write_timeout: Seconds for sending a request (aiohttp has no separate write timeout:
            it bounds the whole request together with the read timeout).
        connect_timeout: Seconds to open a connection.
        pool_timeout: Seconds to wait for a free connection from the pool.
        media_write_timeout: `write_timeout` for uploads (certificates).
    """

    def __init__(
        self,
        connection_pool_size: int = 16,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB reads it to size long polls)."""
        return self._timeouts[0]

    async def initialize(self) -> None:
        """Open the session (idempotent)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        """Close the session and its connections (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; PTB maps the status and body to results or errors."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = bool(request_data and request_data.contains_files)
        read, write, connect, pool = self._timeouts
        write_default = self._media_write_timeout if files else write
        timeout = self._timeout(
            _value(read_timeout, read),
            _value(write_timeout, write_default),
            _value(connect_timeout, connect),
            _value(pool_timeout, pool),
        )
        try:
            body, content_type = _body(request_data)
            headers = {"User-Agent": self.USER_AGENT}
            if content_type:
                headers["Content-Type"] = content_type
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # the pool, the connection or the answer
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    @staticmethod
    def _timeout(
        read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts from PTB's four: `connect` covers the wait for a pooled
        connection and opening one; the whole request gets write + read."""
        waiting = None if connect is None or pool is None else connect + pool
        total = None if read is None or write is None else read + write + (waiting or 0.0)
        return aiohttp.ClientTimeout(
            total=total, connect=waiting, sock_connect=connect, sock_read=read
        )


FORM = "application/x-www-form-urlencoded"


def _body(request_data: RequestData | None) -> tuple[Any, str | None]:
    """Form fields, or multipart with the files (as PTB's own backend sends them), and the
    content type when it is not multipart. The form is encoded here: aiohttp's `FormData`
    sets up a multipart writer (and a random boundary) even for plain fields."""
    if request_data is None:
        return None, None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return urlencode(fields).encode(), FORM
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form, None
