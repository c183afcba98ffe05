"""A fake Sunbird/iGOT lms-service: the content-state update API, with a state history."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

REQUIRED = ("courseId", "batchId", "contentId", "status")


@dataclass
class FakeSunbird:
    """State of the fake: every state it received per (user, course, content)."""

    api_key: str = "sunbird-key"
    down: bool = False
    history: dict[tuple[str, str, str], list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    requests: int = 0
    #: Content ids answered with 400 CLIENT_ERROR (an invalid request).
    reject: set[str] = field(default_factory=set)
    #: Up to this many seconds of random delay before each answer (widens race windows).
    delay: float = 0.0
    #: Every content item received, with its request's userId, in arrival order.
    contents: list[dict[str, object]] = field(default_factory=list)

    async def update(self, request: Request) -> Response:
        if self.down:
            return JSONResponse({"responseCode": "SERVER_ERROR"}, 503)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"responseCode": "UNAUTHORIZED"}, 401)
        body = json.loads(await request.body())
        payload = body.get("request") or {}
        user, contents = payload.get("userId"), payload.get("contents")
        if (
            not user
            or not isinstance(contents, list)
            or not all(all(k in c for k in REQUIRED) for c in contents)
        ):
            return JSONResponse({"responseCode": "CLIENT_ERROR"}, 400)
        if any(c["contentId"] in self.reject for c in contents):
            return JSONResponse({"responseCode": "CLIENT_ERROR", "params": {"err": "INVALID"}}, 400)
        self.requests += 1
        for content in contents:
            key = (user, content["courseId"], content["contentId"])
            self.history[key].append((content["status"], content.get("progress", 0)))
            self.contents.append({"userId": user, **content})
        if self.delay:
            await asyncio.sleep(random.uniform(0, self.delay))
        return JSONResponse(
            {"responseCode": "OK", "result": {c["contentId"]: "SUCCESS" for c in contents}}
        )

    def never_went_backwards(self) -> bool:
        """Whether every content item's states only ever went up."""
        return all(h == sorted(h) for h in self.history.values())

    def app(self) -> Starlette:
        """The ASGI app: PATCH /v1/content/state/update."""
        return Starlette(routes=[Route("/v1/content/state/update", self.update, methods=["PATCH"])])
