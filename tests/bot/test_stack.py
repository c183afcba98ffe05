"""Start-up problems are explained in one line, before anything is started."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from bot import stack
from core.settings import Settings


def services(tmp_path: Path, port: int = 0) -> list[stack.Service]:
    settings = Settings(KARMABOT_DATA_DIR=str(tmp_path))  # type: ignore[call-arg]
    if port:
        settings = settings.model_copy(update={"gateway_port": port})
    return stack.build_services(settings)


def test_a_missing_model_says_how_to_train_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack, "MODEL_PATH", tmp_path / "none.tar.gz")
    with pytest.raises(stack.StackError, match="make model"):
        stack.preflight(services(tmp_path))


def test_a_missing_rasa_install_says_how_to_set_it_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack, "RASA_BIN", tmp_path / "rasa")
    with pytest.raises(stack.StackError, match="make setup"):
        stack.preflight(services(tmp_path))


def test_a_busy_port_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "MODEL_PATH", Path(__file__))
    monkeypatch.setattr(stack, "RASA_BIN", Path(__file__))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(stack.StackError, match=f"Port {port} .*gateway"):
            stack.preflight(services(tmp_path, port))


def test_a_crash_on_a_missing_package_is_explained(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    log.write_text("Traceback ...\nModuleNotFoundError: No module named 'starlette'\n")
    service = services(tmp_path)[2]

    class Exited:
        returncode = 1

    service.process = Exited()  # type: ignore[assignment]
    message = stack.explain_exit(service, log)
    assert "'starlette' is missing" in message and "make setup" in message


def test_scale_profile_points_rasa_at_redis(tmp_path: Path) -> None:
    settings = Settings(KARMABOT_DATA_DIR=str(tmp_path), REDIS_URL="redis://10.0.0.5:6380/3")  # type: ignore[call-arg]
    env = stack.rasa_env(settings, "scale")
    assert (env["KARMABOT_REDIS_HOST"], env["KARMABOT_REDIS_PORT"], env["KARMABOT_REDIS_DB"]) == (
        "10.0.0.5", "6380", "3",
    )  # fmt: skip
    rasa = stack.build_services(settings, "scale")[1]
    assert "endpoints.scale.yml" in rasa.argv


def test_broken_course_content_stops_start_up_with_the_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app
    from core.settings import get_settings

    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "content", tmp_path / "content")
    quiz = tmp_path / "content" / "demo" / "quizzes" / "q2.yml"
    quiz.write_text(quiz.read_text().replace("answer: y", "answer: z"))
    monkeypatch.setenv("KARMABOT_CONTENT_DIR", str(tmp_path / "content"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["up"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "questions[0].answer: 'z' is not one of the options y, n" in result.output
