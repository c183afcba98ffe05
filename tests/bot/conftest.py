"""Fixtures for the top layer: a container built from settings given as environment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.container import Container, container
from core.settings import get_settings

Configure = Callable[..., Container]


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Configure]:
    """Set environment variables, then return the process container as the CLI sees it.

    The data directory defaults to a fresh folder under `tmp_path`; the cached settings and
    container are cleared before and after, so nothing leaks between tests.
    """

    def apply(**env: str) -> Container:
        env.setdefault("KARMABOT_DATA_DIR", str(tmp_path / "data"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        container.cache_clear()
        return container()

    yield apply
    get_settings.cache_clear()
    container.cache_clear()
