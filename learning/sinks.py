"""Where learning events go: a Learning Record Store (xAPI) and Sunbird/iGOT, over HTTP.

A sink delivers a batch or raises a `SinkError` that says what kind of failure it was, so
the sync job (learning/sync.py) can retry, look for the bad event, or call for an operator:

- `SinkError`: a retry can fix it (network errors, 408, 425, 429, 5xx);
- `SinkMisconfigured`: the sink's URL or credentials are wrong (401, 403, 404, 405, 407, 410);
- `SinkRejected`: the remote refuses the batch as invalid (400, 422 and any other 4xx).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Protocol

import httpx
from sqlalchemy.orm import Session, sessionmaker

from learning.events import LearningEvent
from learning.outbox import HELD
from learning.sunbird import (
    ContentState,
    PlatformIdentities,
    SentStates,
    newest,
    request_body,
    state_for,
    tracks,
)
from learning.xapi import VERSION, statement_for

_MISCONFIGURED = {401, 403, 404, 405, 407, 410}
_TRANSIENT = {408, 425, 429}


class SinkError(Exception):
    """A delivery failed in a way that a later retry can fix (network, 5xx, 429)."""


class SinkMisconfigured(SinkError):
    """The sink's URL or credentials are wrong (401, 403, 404): an operator must act."""


class SinkRejected(SinkError):
    """The remote refused the batch as invalid (400, 422): some event in it is bad."""


class Sink(Protocol):
    """Somewhere learning events go.

    Attributes:
        name: The outbox sink name ("lrs", "sunbird").
        fingerprint: A short hash of where and as whom the sink sends; when it changes, events
            that failed with a configuration error are retried at once.
    """

    name: str
    fingerprint: str

    async def send(self, events: Sequence[LearningEvent]) -> dict[str, str]:
        """Deliver a batch, or raise `SinkError`.

        Returns:
            The events held back for now, by event id, each with the reason (starting with
            `learning.outbox.HELD`); every other event was delivered (or needs nothing).
        """
        ...


def fingerprint(*parts: object) -> str:
    """A short, one-way hash of a sink's configuration."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:10]


def raise_for(response: httpx.Response, what: str) -> None:
    """Raise the `SinkError` that an HTTP error response calls for."""
    status = response.status_code
    if status < 300:
        return
    detail = f"{what}: HTTP {status} {response.text[:200]}"
    if status in _TRANSIENT or status >= 500 or status < 400:
        raise SinkError(detail)
    raise SinkMisconfigured(detail) if status in _MISCONFIGURED else SinkRejected(detail)


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
        self.fingerprint = fingerprint(self.endpoint, username, password, home_page)

    async def send(self, events: Sequence[LearningEvent]) -> dict[str, str]:
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
                raise_for(response, "LRS")
                return {}
            for statement in statements:  # the LRS keeps the first copy of each id
                response = await client.put(
                    self.endpoint,
                    json=statement,
                    auth=self._auth,
                    headers=headers,
                    params={"statementId": statement["id"]},
                )
                if response.status_code != 409:
                    raise_for(response, "LRS")
            return {}
        except httpx.HTTPError as exc:
            raise SinkError(f"LRS: {type(exc).__name__}: {exc}") from exc
        finally:
            if self._client is None:
                await client.aclose()


class SunbirdSink:
    """Content-state updates to Sunbird/iGOT (`PATCH /v1/content/state/update`), in the
    platform's own user and batch ids (learning/sunbird.py).

    Args:
        base_url: The lms-service base URL.
        sessions: The learner store: identities, and the highest states sent.
        batch_id: The batch of courses with no batch of their own.
        batches: Batch id per course id, for enrollments with no batch of their own.
        api_key: Sent as ``Authorization: Bearer``.
        user_token: Sent as ``x-authenticated-user-token``.
        client: A shared HTTP client (one per send otherwise).
        concurrency: How many users' updates are in flight at once on PostgreSQL (each
            holds its own content items' locks, so they never conflict); one on SQLite.
    """

    name = "sunbird"

    def __init__(
        self,
        base_url: str,
        *,
        sessions: sessionmaker[Session],
        batch_id: str | None = None,
        batches: Mapping[str, str] | None = None,
        api_key: str | None = None,
        user_token: str | None = None,
        client: httpx.AsyncClient | None = None,
        concurrency: int = 4,
    ) -> None:
        self.url = base_url.rstrip("/") + "/v1/content/state/update"
        self._batch_id, self._client, self._concurrency = batch_id, client, concurrency
        self._sent = SentStates(sessions)
        self._identities = PlatformIdentities(sessions, batches, batch_id)
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        if user_token:
            self._headers["x-authenticated-user-token"] = user_token
        self.fingerprint = fingerprint(self.url, api_key, user_token)

    async def send(self, events: Sequence[LearningEvent]) -> dict[str, str]:
        """PATCH each platform user's newest states; hold events of learners with no platform
        user id (or courses with no batch); drop states not above those already sent."""
        tracked = [e for e in events if tracks(e)]
        identities = await asyncio.to_thread(
            self._identities.lookup, {(e.learner_id, e.course_id) for e in tracked}
        )
        held: dict[str, str] = {}
        states: list[ContentState] = []
        for event in tracked:
            who = identities[(event.learner_id, event.course_id)]
            if not who.user_id:
                held[event.id] = f"{HELD}: learner {event.learner_id} has no platform user id"
            elif not who.batch_id:
                held[event.id] = f"{HELD}: no Sunbird batch for course {event.course_id}"
            elif state := state_for(event, who.user_id, who.batch_id):
                states.append(state)
        by_user = sorted(newest(states), key=lambda s: s.user_id)
        groups = [list(group) for _, group in groupby(by_user, key=lambda s: s.user_id)]
        client = self._client or httpx.AsyncClient(timeout=15)
        limit = asyncio.Semaphore(self._concurrency if self._sent.parallel else 1)

        async def send_user(states: list[ContentState]) -> None:
            async with limit:
                await self._send_user(client, states)

        try:
            outcomes = await asyncio.gather(*map(send_user, groups), return_exceptions=True)
        finally:
            if self._client is None:
                await client.aclose()
        if errors := [o for o in outcomes if isinstance(o, BaseException)]:
            raise min(errors, key=_severity)  # every user's send has ended, none is cut off
        return held

    async def _send_user(self, client: httpx.AsyncClient, states: list[ContentState]) -> None:
        """Claim the user's content items, send what is ahead, record it once it got through."""
        claim = await asyncio.to_thread(self._sent.claim, states)
        sent = False
        try:
            if claim.ahead:
                response = await client.patch(
                    self.url, json=request_body(claim.ahead), headers=self._headers
                )
                raise_for(response, "Sunbird")
            sent = True
        except httpx.HTTPError as exc:
            raise SinkError(f"Sunbird: {type(exc).__name__}: {exc}") from exc
        finally:
            await asyncio.to_thread(claim.finish, sent)


def _severity(error: BaseException) -> int:
    """Which of several errors a batch fails with: a bug, then the sink's configuration, then
    a passing failure, and only then the remote's verdict that some event is invalid."""
    if not isinstance(error, SinkError):
        return 0
    return (
        1 if isinstance(error, SinkMisconfigured) else 3 if isinstance(error, SinkRejected) else 2
    )
