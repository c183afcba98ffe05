"""The gateway's door: server-issued web sessions, API tokens, body caps, rate limits, CORS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from connectors.conversation import Conversation
from connectors.gateway import GatewayPolicy, GatewayServices, create_gateway
from connectors.guard import SESSION_COOKIE, WebSessions
from connectors.messages import BotMessage
from core.i18n import get_catalog
from learning.repository import InMemoryLearnerRepository

LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.7", 50000)


class EchoRasa:
    """Answers every message with its sender and text; remembers the turns."""

    def __init__(self) -> None:
        self.turns: list[tuple[str, str]] = []

    async def send(self, sender: str, text: str, metadata: Any = None) -> list[BotMessage]:
        self.turns.append((sender, text))
        return [BotMessage(text=f"{sender}:{text}")]

    async def ready(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


@pytest.fixture
def repo() -> InMemoryLearnerRepository:
    return InMemoryLearnerRepository()


@pytest.fixture
def rasa() -> EchoRasa:
    return EchoRasa()


def gateway(repo: InMemoryLearnerRepository, rasa: EchoRasa, **policy: Any) -> GatewayServices:
    conversation = Conversation(rasa, repo, get_catalog(), flood_limit="50/second")  # type: ignore[arg-type]
    records: Any = None
    return GatewayServices(conversation, records, GatewayPolicy(secret_key="k" * 32, **policy))


@pytest.fixture
def app(repo: InMemoryLearnerRepository, rasa: EchoRasa) -> Iterator[GatewayServices]:
    yield gateway(repo, rasa)


def client(services: GatewayServices, address: tuple[str, int] = REMOTE) -> TestClient:
    return TestClient(create_gateway(services), client=address, base_url="http://chat.test")


def test_the_page_issues_a_signed_httponly_session_and_the_api_uses_it(
    app: GatewayServices, repo: InMemoryLearnerRepository, rasa: EchoRasa
) -> None:
    with client(app) as browser:
        page = browser.get("/")
        cookie = page.headers["set-cookie"]
        assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        reply = browser.post("/chat/api", json={"text": "hello"})
        assert reply.status_code == 200
        user = reply.json()["user"]
        assert user.startswith("web-") and rasa.turns[0][1] == "hello"
        assert repo.get_by_channel("web", user) is not None
        again = browser.get("/")  # a valid session is kept, not replaced
        assert "set-cookie" not in again.headers


def test_a_forged_or_missing_session_is_refused_and_changes_nothing(
    app: GatewayServices, repo: InMemoryLearnerRepository, rasa: EchoRasa
) -> None:
    forged = WebSessions("another-secret-entirely-0123456789").issue()[1]
    with client(app) as browser:
        assert browser.post("/chat/api", json={"text": "hi"}).status_code == 401
        browser.cookies.set(SESSION_COOKIE, forged, domain="chat.test")
        assert browser.post("/chat/api", json={"text": "hi"}).status_code == 401
    assert repo.count() == 0 and rasa.turns == []


def test_another_site_cannot_ride_the_session(app: GatewayServices, rasa: EchoRasa) -> None:
    with client(app) as browser:
        browser.get("/")
        reply = browser.post(
            "/chat/api", json={"text": "hi"}, headers={"Origin": "https://evil.example"}
        )
        assert reply.status_code == 401 and rasa.turns == []


def test_naming_a_user_needs_loopback_or_the_token(
    repo: InMemoryLearnerRepository, rasa: EchoRasa
) -> None:
    open_gateway = gateway(repo, rasa)
    with client(open_gateway, REMOTE) as remote:
        refused = remote.post("/chat/api", json={"user": "asha", "text": "hi"})
        assert refused.status_code == 401 and "KARMABOT_API_TOKEN" in refused.json()["error"]
    with client(open_gateway, LOOPBACK) as local:
        assert local.post("/chat/api", json={"user": "asha", "text": "hi"}).status_code == 200
    locked = gateway(repo, rasa, api_token="s3cret-token")
    with client(locked, LOOPBACK) as local:  # with a token set, loopback needs it too
        assert local.post("/chat/api", json={"user": "asha", "text": "hi"}).status_code == 401
    with client(locked, REMOTE) as remote:
        bad = {"Authorization": "Bearer wrong"}
        good = {"Authorization": "Bearer s3cret-token"}
        refused = remote.post("/chat/api", json={"user": "b", "text": "x"}, headers=bad)
        assert refused.status_code == 401
        ok = remote.post("/chat/api", json={"user": "b", "text": "x"}, headers=good)
        assert ok.status_code == 200
    assert [sender for sender, _ in rasa.turns] == [
        repo.get_by_channel("web", "asha").id,  # type: ignore[union-attr]
        repo.get_by_channel("web", "b").id,  # type: ignore[union-attr]
    ]


def test_oversized_bodies_get_413(app: GatewayServices, rasa: EchoRasa) -> None:
    with client(app, LOOPBACK) as local:
        body = '{"user": "a", "text": "' + "x" * (70 * 1024) + '"}'
        reply = local.post("/chat/api", content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 413 and rasa.turns == []


def test_an_empty_message_creates_no_learner(
    app: GatewayServices, repo: InMemoryLearnerRepository
) -> None:
    with client(app, LOOPBACK) as local:
        reply = local.post("/chat/api", json={"user": "quiet", "text": "   "})
        assert reply.status_code == 200 and reply.json()["messages"] == []
    assert repo.count() == 0


def test_a_client_over_its_rate_gets_429_with_retry_after(
    repo: InMemoryLearnerRepository, rasa: EchoRasa
) -> None:
    limited = gateway(repo, rasa, client_limit="3/minute")
    with client(limited, REMOTE) as browser:
        browser.get("/")
        codes = [browser.post("/chat/api", json={"text": str(i)}).status_code for i in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        reply = browser.post("/chat/api", json={"text": "again"})
        assert int(reply.headers["Retry-After"]) >= 1
    with client(limited, LOOPBACK) as local:  # the operator's own tools are not limited
        codes = [
            local.post("/chat/api", json={"user": "a", "text": str(i)}).status_code
            for i in range(5)
        ]
        assert codes == [200] * 5
    assert len(rasa.turns) == 8


def test_cors_is_same_origin_unless_configured(
    repo: InMemoryLearnerRepository, rasa: EchoRasa
) -> None:
    preflight = {
        "Origin": "https://lms.example.gov.in",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    with client(gateway(repo, rasa)) as closed:
        reply = closed.options("/chat/api", headers=preflight)
        assert "access-control-allow-origin" not in reply.headers
    allowed = gateway(repo, rasa, cors_origins=("https://lms.example.gov.in",))
    with client(allowed) as opened:
        reply = opened.options("/chat/api", headers=preflight)
        assert reply.headers["access-control-allow-origin"] == "https://lms.example.gov.in"
