"""The fake Telegram Bot API of tests/fakes/telegram.py in a process of its own, counting.

    python -m bench.campaigns.fake PORT

Serves `FakeTelegram().app()` under `/<label>/bot<token>/<method>` (a label such as `w1` or
`b2` names the client, so each worker's share can be told apart) and records the arrival time
of every `sendMessage` it accepted (200), per label, and the TCP connections each label
opened (distinct client ports). `GET /count` is cheap (for polling);
`GET /stats` returns the arrival times and the chat ids received; `POST /reset` forgets
everything. `FakeServer` starts the process and talks to it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from bench.campaigns import die_with_parent
from core.settings import PROJECT_ROOT
from tests.fakes.telegram import FakeTelegram, parse_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
_LABELLED = re.compile(r"^/([a-z]\d+)(/bot.*)$")


class Recorder:
    """ASGI app: the fake behind labelled paths, with arrival times and the stats routes."""

    def __init__(self) -> None:
        self.fake = FakeTelegram()
        self.inner = self.fake.app()
        self.arrivals: dict[str, list[float]] = {}
        self.started: dict[str, float] = {}
        self.ports: dict[str, set[int]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        path = scope["path"]
        if path in ("/count", "/stats", "/reset"):
            await self._own(path, scope, receive, send)
            return
        label = "-"
        match = _LABELLED.match(path)
        if match:
            label, path = match.group(1), match.group(2)
            scope = {**scope, "path": path, "raw_path": path.encode()}
        client = scope.get("client") or ("", 0)
        self.ports.setdefault(label, set()).add(client[1])
        if path.endswith("/getMe"):
            self.started.setdefault(label, time.time())
        if not path.endswith("/sendMessage"):
            await self.inner(scope, receive, send)
            return
        arrived = time.time()
        status = await self._send_message(path, scope, receive, send)
        if status == 200:
            self.arrivals.setdefault(label, []).append(arrived)

    async def _send_message(self, path: str, scope: Scope, receive: Receive, send: Send) -> int:
        """sendMessage answered by the fake's own logic without Starlette's routing, request
        and response objects (a third of the fake's CPU, which shares the cores with the
        workers it measures); returns the status."""
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if path[len("/bot") : -len("/sendMessage")] != self.fake.token:
            status, answer = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        else:
            headers = dict(scope["headers"])
            kind = headers.get(b"content-type", b"").decode("latin-1")
            query = dict(parse_qsl(scope.get("query_string", b"").decode()))
            params, files = parse_body(bytes(body), kind, query)
            status, answer = await self.fake.answer("sendMessage", params, files)
        payload = json.dumps(answer).encode()
        sent = [(b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode())]  # fmt: skip
        await send({"type": "http.response.start", "status": status, "headers": sent})
        await send({"type": "http.response.body", "body": payload})
        return status

    async def _own(self, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.responses import JSONResponse

        if path == "/reset":
            self.fake.calls.clear()
            self.fake.messages.clear()
            self.fake.problems.clear()
            self.arrivals.clear()
            self.started.clear()
            self.ports.clear()
            body: dict[str, Any] = {"ok": True}
        elif path == "/count":
            sent = sum(len(times) for times in self.arrivals.values())
            body = {"sent": sent, "started": self.started, "problems": len(self.fake.problems)}
        else:
            chats = [c.params.get("chat_id") for c in self.fake.calls if c.method == "sendMessage"]
            body = {"arrivals": self.arrivals, "started": self.started, "chats": chats,
                    "problems": self.fake.problems[:20], "cpu": _own_cpu(),
                    "connections": {k: len(v) for k, v in self.ports.items()}}  # fmt: skip
        await JSONResponse(body)(scope, receive, send)


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


class FakeServer:
    """The fake's process: start, query, reset, stop."""

    def __init__(self, port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.client = httpx.Client(base_url=self.url, timeout=30)
        command = [sys.executable, "-m", "bench.campaigns.fake", str(port)]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, stdout=out, stderr=out, preexec_fn=die_with_parent
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.count()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"the fake Telegram API did not start; see {log}") from None
                time.sleep(0.1)

    @property
    def pid(self) -> int:
        """The fake's process id."""
        return self.process.pid

    def count(self) -> dict[str, Any]:
        """Messages accepted so far, and when each label started (getMe)."""
        return dict(self.client.get("/count").json())

    def stats(self) -> dict[str, Any]:
        """Arrival times per label, chat ids received, refusals."""
        return dict(self.client.get("/stats").json())

    def reset(self) -> None:
        """Forget every call."""
        self.client.post("/reset").raise_for_status()

    def stop(self) -> None:
        """Stop the process."""
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def main() -> None:
    """Serve the recorder on 127.0.0.1:PORT until terminated."""
    import uvicorn

    uvicorn.run(
        Recorder(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
