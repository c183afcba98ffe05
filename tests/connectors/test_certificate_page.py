"""`GET /certificates/verify/{code}`: anyone can check a certificate, and learns nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from connectors.conversation import Conversation
from connectors.gateway import GatewayPolicy, GatewayServices, create_gateway
from core.i18n import get_catalog
from learning.db import make_engine, session_factory, upgrade
from learning.records import Certificate, RecordStore
from learning.repository import SqlLearnerRepository
from tests.connectors.test_web import REMOTE, EchoRasa

COMPLETED = datetime(2025, 12, 3, 9, 30, tzinfo=UTC)
PHONE, ORGANISATION = "+919876543210", "Department of Personnel and Training"


class Site:
    """The gateway with a learner store holding one learner, and a browser on another machine."""

    def __init__(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'karmabot.db'}"
        self.engine = make_engine(url)
        upgrade(url, self.engine)
        sessions = session_factory(self.engine)
        self.repo = SqlLearnerRepository(sessions)
        self.records = RecordStore(sessions)
        conversation = Conversation(EchoRasa(), self.repo, get_catalog())  # type: ignore[arg-type]
        policy = GatewayPolicy(secret_key="k" * 32, client_limit="5/minute")
        self.app = create_gateway(GatewayServices(conversation, self.records, policy))

    def issue(self, name: str, title: str, language: str = "en") -> Certificate:
        learner = self.repo.get_or_create("telegram", "4242", name=name)
        self.repo.set_language(learner.id, language)
        with self.engine.begin() as conn:  # what the page must never show
            conn.execute(
                sa.text("UPDATE learners SET phone = :p, organisation = :o WHERE id = :i"),
                {"p": PHONE, "o": ORGANISATION, "i": learner.id},
            )
        certificate = self.records.certificates.issue(
            learner.id, "ethics-101", name, title, COMPLETED
        )
        assert certificate is not None
        return certificate


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    site = Site(tmp_path)
    yield site
    site.engine.dispose()


def browser(site: Site) -> TestClient:
    return TestClient(site.app, client=REMOTE, base_url="https://karmabot.example.gov.in")


def test_a_genuine_certificate_shows_who_what_and_when_in_the_learners_language(
    site: Site,
) -> None:
    certificate = site.issue("मीरा अय्यर", "मिशन कर्मयोगी: परिचय", "hi")
    with browser(site) as client:
        page = client.get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for shown in ("मीरा अय्यर", "मिशन कर्मयोगी: परिचय", "3 दिसंबर 2025", "असली प्रमाणपत्र",
                  "प्राप्तकर्ता", certificate.code, '<html lang="hi">'):  # fmt: skip
        assert shown in html, shown
    for hidden in (PHONE, "9876543210", ORGANISATION, certificate.learner_id, "ethics-101",
                   "4242", "telegram"):  # fmt: skip
        assert hidden not in html, hidden
    assert "noindex" in page.headers["x-robots-tag"] and page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in html


@pytest.mark.parametrize("typed", ["lower", "title"])
def test_codes_match_in_any_case(site: Site, typed: str) -> None:
    certificate = site.issue("Asha Rao", "Ethics in Public Service")
    with browser(site) as client:
        page = client.get(f"/certificates/verify/{getattr(certificate.code, typed)()}")
    assert page.status_code == 200
    assert "Genuine certificate" in page.text and "Asha Rao" in page.text
    assert "Ethics in Public Service" in page.text and "3 December 2025" in page.text


@pytest.mark.parametrize("code", ["NOSUCHCODE", "KM3P7QX9TR", "x", "%3Cb%3Ebold%20%26amp"])
def test_an_unknown_code_is_a_404_page_saying_it_is_not_valid(site: Site, code: str) -> None:
    site.issue("Asha Rao", "Ethics in Public Service")
    with browser(site) as client:
        page = client.get(f"/certificates/verify/{code}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not a valid certificate" in page.text
    assert "Asha Rao" not in page.text and "<b>" not in page.text


def test_names_and_titles_are_escaped(site: Site) -> None:
    certificate = site.issue('<script>alert("x")</script> & Co', "<img src=x onerror=alert(1)>")
    with browser(site) as client:
        html = client.get(f"/certificates/verify/{certificate.code}").text
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_checking_codes_is_rate_limited_per_client(site: Site) -> None:
    with browser(site) as client:
        statuses = [client.get(f"/certificates/verify/GUESS{n:05d}").status_code for n in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]
