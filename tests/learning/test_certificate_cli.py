"""`karmabot certificate verify|pdf`: the verification link is under KARMABOT_PUBLIC_URL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from bot import cli
from bot.container import Container, container
from core.settings import Settings, get_settings
from learning.records import Certificate

PUBLIC = "https://karmabot.example.gov.in"


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Certificate]:
    """A certificate in a fresh learner store, with a public URL set."""
    monkeypatch.setenv("KARMABOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KARMABOT_PUBLIC_URL", PUBLIC + "/")
    get_settings.cache_clear()
    container.cache_clear()
    app: Container = container()
    learner = app.learners.get_or_create("telegram", "77", name="Asha Rao")
    when = datetime(2025, 12, 3, tzinfo=UTC)
    certificate = app.records.certificates.issue(learner.id, "demo", "Asha Rao", "Ethics", when)
    assert certificate is not None
    yield certificate
    get_settings.cache_clear()
    container.cache_clear()


def test_verify_says_valid_and_gives_the_public_link(issued: Certificate) -> None:
    result = CliRunner().invoke(cli.app, ["certificate", "verify", issued.code.lower()])
    assert result.exit_code == 0, result.output
    assert (
        f"{issued.code}: VALID: Asha Rao completed “Ethics” on 03 December 2025." in result.output
    )
    assert f"{PUBLIC}/certificates/verify/{issued.code}" in result.output


def test_verify_of_an_unknown_code_fails(issued: Certificate) -> None:
    result = CliRunner().invoke(cli.app, ["certificate", "verify", " nosuchcode "])
    assert result.exit_code == 1 and "NOSUCHCODE: NOT VALID" in result.output


def test_the_pdf_links_to_the_public_verification_page(issued: Certificate, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["certificate", "pdf", issued.code, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdf = (tmp_path / f"karmabot-certificate-{issued.code}.pdf").read_bytes()
    page = PdfReader(BytesIO(pdf)).pages[0]
    url = f"{PUBLIC}/certificates/verify/{issued.code}"
    assert url in page.extract_text()
    assert [a.get_object()["/A"]["/URI"] for a in page["/Annots"]] == [url]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8080"),
        ({"KARMABOT_HOST": "0.0.0.0", "KARMABOT_PORT": "9000"}, "http://127.0.0.1:9000"),
        ({"KARMABOT_PUBLIC_URL": "https://k.example.org/bot/"}, "https://k.example.org/bot"),
    ],
)
def test_the_public_url_defaults_to_the_gateways_local_address(
    env: dict[str, str], expected: str
) -> None:
    assert Settings(**env).resolved_public_url == expected  # type: ignore[arg-type]
