"""A fake Learning Record Store: the xAPI statements resource, strict about the rules."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from learning.xapi import validate_statement


@dataclass
class FakeLrs:
    """State of the fake: what it stored, what it was sent, and whether it is down."""

    username: str = "karmabot"
    password: str = "secret"
    down: bool = False
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: int = 0
    received: int = 0
    problems: list[str] = field(default_factory=list)
    #: Activity ids whose statements are refused as invalid (400), whatever the rules say.
    reject: set[str] = field(default_factory=set)

    def _authorised(self, request: Request) -> bool:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {token}"

    def _store(self, statement: dict[str, Any]) -> int:
        """200 stored or identical resend; 409 a different statement with a known id."""
        self.received += 1
        problems = validate_statement(statement)
        if statement.get("object", {}).get("id") in self.reject:
            return 400
        if problems:
            self.problems += problems
            return 400
        known = self.stored.get(statement["id"])
        if known is not None and json.dumps(known, sort_keys=True) != json.dumps(
            statement, sort_keys=True
        ):
            return 409
        self.stored[statement["id"]] = statement
        return 200

    async def statements(self, request: Request) -> Response:
        if self.down:
            return JSONResponse({"error": "maintenance"}, 503)
        if not self._authorised(request):
            return JSONResponse({"error": "unauthorised"}, 401)
        if request.headers.get("x-experience-api-version") != "1.0.3":
            return JSONResponse({"error": "X-Experience-API-Version 1.0.3 required"}, 400)
        body = json.loads(await request.body())
        if request.method == "PUT":
            body = {**body, "id": request.query_params.get("statementId", body.get("id"))}
            status = self._store(body)
            return Response(status_code=204 if status == 200 else status)
        self.posts += 1
        batch = body if isinstance(body, list) else [body]
        statuses = [self._store(s) for s in batch]
        worst = max(statuses)
        if worst != 200:
            return JSONResponse({"error": "rejected"}, worst)
        return JSONResponse([s["id"] for s in batch])

    def app(self) -> Starlette:
        """The ASGI app: POST and PUT /xapi/statements."""
        return Starlette(
            routes=[Route("/xapi/statements", self.statements, methods=["POST", "PUT"])]
        )
