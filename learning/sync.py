"""The sync job: learning events from the outbox to the LRS (xAPI) and to Sunbird/iGOT.

Each configured sink takes batches of due events in outbox order. A batch that gets through is
marked sent; one that fails is marked with its error and comes due again after an exponential
backoff, so a remote that is down for a while loses nothing. Statement ids and content states
are stable, so a batch resent after a lost reply duplicates nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Protocol

import httpx

from learning.events import LearningEvent
from learning.models import utcnow
from learning.outbox import SqlOutbox, retry_delay
from learning.sunbird import SentStates, newest, request_body, state_for
from learning.xapi import VERSION, statement_for

logger = logging.getLogger(__name__)
#: Retry time for a batch the remote refused as invalid (it will not get better by itself).
REFUSED_RETRY = timedelta(hours=6)


class SinkError(Exception):
    """A delivery failed in a way that a later retry can fix (network, 5xx, 429)."""


class SinkRefused(SinkError):
    """The remote refused the batch as invalid (4xx); retried only rarely."""


class Sink(Protocol):
    """Somewhere learning events go."""

    name: str

    async def send(self, events: Sequence[LearningEvent]) -> None:
        """Deliver a batch, or raise `SinkError`."""
        ...


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.status_code < 300:
        return
    detail = f"{what}: HTTP {response.status_code} {response.text[:200]}"
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise SinkError(detail)
    raise SinkRefused(detail)


class LrsSink:
    """xAPI statements to a Learning Record Store (`POST /statements`, Basic auth)."""

    name = "lrs"

    def __init__(
        self,
        endpoint: str,
        username: str,
        password: str,
        *,
        home_page: str,
        activity_base: str,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/") + "/statements"
        self._auth = httpx.BasicAuth(username, password)
        self._home_page, self._base = home_page, activity_base
        self._client = client

    async def send(self, events: Sequence[LearningEvent]) -> None:
        """POST the batch; on 409 (a statement id the LRS already has), PUT one by one."""
        statements = [
            statement_for(e, home_page=self._home_page, activity_base=self._base) for e in events
        ]
        headers = {"X-Experience-API-Version": VERSION}
        client = self._client or httpx.AsyncClient(timeout=15)
        try:
            response = await client.post(
                self.endpoint, json=statements, auth=self._auth, headers=headers
            )
            if response.status_code != 409:
                return _raise_for(response, "LRS")
            for statement in statements:  # the LRS keeps the first copy of each id
                response = await client.put(
                    self.endpoint,
                    json=statement,
                    auth=self._auth,
                    headers=headers,
                    params={"statementId": statement["id"]},
                )
                if response.status_code != 409:
                    _raise_for(response, "LRS")
        except httpx.HTTPError as exc:
            raise SinkError(f"LRS: {type(exc).__name__}: {exc}") from exc
        finally:
            if self._client is None:
                await client.aclose()


class SunbirdSink:
    """Content-state updates to Sunbird/iGOT (`PATCH /v1/content/state/update`)."""

    name = "sunbird"

    def __init__(
        self,
        base_url: str,
        *,
        batch_id: str,
        sent: SentStates,
        api_key: str | None = None,
        user_token: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/v1/content/state/update"
        self._batch_id, self._sent, self._client = batch_id, sent, client
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        if user_token:
            self._headers["x-authenticated-user-token"] = user_token

    async def send(self, events: Sequence[LearningEvent]) -> None:
        """PATCH each user's newest states; states lower than ones already sent are dropped."""
        states = newest([s for e in events if (s := state_for(e))])
        highest = await asyncio.gather(*(asyncio.to_thread(self._sent.highest, s) for s in states))
        ahead = [s for s, top in zip(states, highest, strict=True) if s.at_least(top)]
        client = self._client or httpx.AsyncClient(timeout=15)
        try:
            for _, group in groupby(
                sorted(ahead, key=lambda s: s.user_id), key=lambda s: s.user_id
            ):
                batch = list(group)
                response = await client.patch(
                    self.url, json=request_body(batch, self._batch_id), headers=self._headers
                )
                _raise_for(response, "Sunbird")
                await asyncio.to_thread(self._sent.record, batch)
        except httpx.HTTPError as exc:
            raise SinkError(f"Sunbird: {type(exc).__name__}: {exc}") from exc
        finally:
            if self._client is None:
                await client.aclose()


@dataclass
class SyncReport:
    """What one round of syncing did, per sink."""

    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)


class SyncJob:
    """Moves due events from the outbox to every sink."""

    def __init__(
        self,
        outbox: SqlOutbox,
        sinks: Sequence[Sink],
        *,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 100,
    ) -> None:
        self.outbox, self.sinks, self._clock, self.batch_size = outbox, sinks, clock, batch_size

    async def run_once(self) -> SyncReport:
        """Send everything that is due; a sink that fails is left until its retry time."""
        report = SyncReport()
        for sink in self.sinks:
            sent = failed = 0
            while True:
                now = self._clock()
                items = await asyncio.to_thread(self.outbox.due, sink.name, self.batch_size, now)
                if not items:
                    break
                ids = [item.id for item in items]
                try:
                    await sink.send([item.event for item in items])
                except SinkError as exc:
                    attempts = max(item.attempts for item in items) + 1
                    wait = REFUSED_RETRY if isinstance(exc, SinkRefused) else retry_delay(attempts)
                    logger.warning(
                        "%s: %d events not delivered (%s); retry in %s",
                        sink.name,
                        len(ids),
                        exc,
                        wait,
                    )
                    await asyncio.to_thread(self.outbox.mark_failed, ids, str(exc), now + wait)
                    failed += len(ids)
                    break
                await asyncio.to_thread(self.outbox.mark_sent, ids, self._clock())
                sent += len(ids)
            report.sent[sink.name], report.failed[sink.name] = sent, failed
        return report

    async def run_forever(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        """Sync every `interval` seconds until `stop` is set; errors are logged, not raised."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a broken round must not end syncing
                logger.exception("sync round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
