"""`karmabot sync [--once]`, `sync run`, `sync status` and `sync retry [--parked]` from an
operator's terminal, against the fake LRS and Sunbird."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli
from bot.container import container
from core.settings import get_settings
from learning.repository import SqlLearnerRepository
from learning.xapi import activity_iri
from tests.learning.sync_support import BASE, Clock, Fakes, served, set_identity
from tests.learning.test_sync_failures import lesson_event_of, record_lessons

runner = CliRunner()


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    """The fakes, and the CLI's settings pointing at them (a fresh data directory)."""
    with served() as running:
        _, lrs_url, _, sunbird_url = running
        env = {
            "KARMABOT_DATA_DIR": str(tmp_path / "data"), "KARMABOT_LRS_URL": lrs_url,
            "KARMABOT_LRS_USERNAME": "karmabot", "KARMABOT_LRS_PASSWORD": "secret",
            "KARMABOT_XAPI_ACTIVITY_BASE": BASE, "KARMABOT_SUNBIRD_URL": sunbird_url,
            "KARMABOT_SUNBIRD_API_KEY": "sunbird-key", "KARMABOT_SUNBIRD_BATCH_ID": "b-1",
        }  # fmt: skip
        monkeypatch.delenv("DATABASE_URL", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        container.cache_clear()
        yield running
        get_settings.cache_clear()
        container.cache_clear()


def invoke(*args: str) -> str:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_sync_once_status_and_retry(fakes: Fakes) -> None:
    fake_lrs, _, fake_sunbird, _ = fakes
    sessions = container().sessions
    learner = SqlLearnerRepository(sessions).get_or_create("web", "cli", name="Asha")
    record_lessons(sessions, learner.id, Clock(), 4)
    fake_lrs.reject = {activity_iri(BASE, lesson_event_of(learner.id, "l2"), "lesson")}
    out = invoke("sync", "--once")
    assert "lrs: 3 sent, 0 failed, 0 waiting for identity, 1 parked, 0 pending" in out
    assert "sunbird: 0 sent, 0 failed, 4 waiting for identity, 0 parked, 4 pending" in out

    out = invoke("sync", "status")
    lines = out.splitlines()
    assert lines[0].split() == ["sink", "pending", "failed", "waiting", "for", "identity", "parked"]
    assert lines[1].split() == ["lrs", "0", "0", "0", "1"]
    assert lines[2].startswith("  last parked: rejected: LRS: HTTP 400")
    assert lines[3].split() == ["sunbird", "4", "0", "4", "0"]
    assert "has no platform user id" in lines[4]

    fake_lrs.reject = set()
    set_identity(sessions, learner.id, "igot-asha")
    assert invoke("sync", "retry") == "4 events due now.\n"
    assert "sunbird: 4 sent" in invoke("sync", "run", "--once")
    assert invoke("sync", "retry", "--parked", "--sink", "lrs") == (
        "1 events due now (parked ones included).\n"
    )
    assert "lrs: 1 sent" in invoke("sync", "--once")
    out = invoke("sync", "status")
    assert [line.split() for line in out.splitlines()[1:]] == [
        ["lrs", "0", "0", "0", "0"],
        ["sunbird", "0", "0", "0", "0"],
    ]
    assert len(fake_lrs.stored) == 4 and len(fake_sunbird.history) == 4


def test_sync_without_a_sink_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KARMABOT_LRS_URL", "KARMABOT_SUNBIRD_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KARMABOT_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    container.cache_clear()
    try:
        result = runner.invoke(cli.app, ["sync", "--once"])
        assert result.exit_code == 1 and "set KARMABOT_LRS_URL" in result.output
        assert invoke("sync", "status") == "No sink configured and nothing waiting in the outbox.\n"
    finally:
        get_settings.cache_clear()
        container.cache_clear()
