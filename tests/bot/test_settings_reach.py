"""Every setting is documented, reaches every child process, and lands in the service using it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot import stack
from bot.container import ConfigurationError
from core.settings import PROJECT_ROOT, Settings
from tests.bot.conftest import Configure

FIXTURE_CONTENT = PROJECT_ROOT / "tests" / "fixtures" / "content"


def documented() -> set[str]:
    """Variable names `.env.example` documents (commented `# NAME=` lines)."""
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^# ?([A-Z][A-Z0-9_]+)=", text, flags=re.M))


def test_every_setting_is_documented_in_env_example_and_nothing_else_is() -> None:
    aliases = {str(field.alias) for field in Settings.model_fields.values()}
    assert documented() == aliases


def test_each_child_process_reads_exactly_the_supervisors_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = Settings(  # type: ignore[call-arg]
        KARMABOT_DATA_DIR=str(tmp_path),
        KARMABOT_KB_COLLECTION="dept-kb",
        KARMABOT_EMBEDDING_DEVICE="cuda:1",
        KARMABOT_DEFAULT_LANGUAGE="ta",
        KARMABOT_RASA_PATCHES=False,
        KARMABOT_LRS_URL="http://lrs.test/xapi",
        KARMABOT_KB_THRESHOLD=0.5,
    )
    for service in stack.build_services(parent, "scale"):
        # What Stack.start gives the child, with nothing inherited from this test's process.
        env = stack.child_env(parent) | service.env
        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        child = Settings(_env_file=None)  # type: ignore[call-arg]
        expected = parent.as_env() | {"KARMABOT_RASA_URL": f"http://127.0.0.1:{parent.rasa_port}"}
        assert child.as_env() == expected, service.name


def test_rasa_runs_stock_when_the_patches_are_switched_off(tmp_path: Path) -> None:
    on = Settings(KARMABOT_DATA_DIR=str(tmp_path))  # type: ignore[call-arg]
    off = on.model_copy(update={"rasa_patches": False})
    assert "--stock" not in stack.build_services(on)[1].argv
    rasa = stack.build_services(off)[1].argv
    assert rasa[rasa.index("bot.rasa_server") + 1] == "--stock"


def test_process_settings_reach_the_stack(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        KARMABOT_DATA_DIR=str(tmp_path), KARMABOT_ACTION_PORT=6001, KARMABOT_RASA_PORT=6002,
        KARMABOT_PORT=6003, KARMABOT_HOST="0.0.0.0", KARMABOT_RASA_WORKERS=3,
        REDIS_URL="redis://cache.test:6380/4",
    )  # fmt: skip
    actions, rasa, gateway, worker = stack.build_services(settings, "scale")
    assert worker.argv[-2:] == ["bot.serve", "worker"] and not worker.listens
    assert (actions.port, rasa.port, gateway.port) == (6001, 6002, 6003)
    assert gateway.argv[gateway.argv.index("--host") + 1] == "0.0.0.0"
    assert rasa.env["SANIC_WORKERS"] == "3" and rasa.env["KARMABOT_ACTION_PORT"] == "6001"
    assert (rasa.env["KARMABOT_REDIS_HOST"], rasa.env["KARMABOT_REDIS_PORT"]) == (
        "cache.test",
        "6380",
    )
    assert rasa.env["KARMABOT_REDIS_DB"] == "4"


def test_knowledge_settings_reach_the_knowledge_base(configure: Configure, tmp_path: Path) -> None:
    app = configure(
        KARMABOT_EMBEDDING_MODEL="intfloat/multilingual-e5-small",
        CHROMA_URL="http://chroma.test:8000",
        KARMABOT_KB_COLLECTION="dept-kb",
        KARMABOT_EMBEDDING_DEVICE="cuda:1",
        KARMABOT_KB_THRESHOLD="0.55",
        KARMABOT_KB_TOP_K="5",
        KARMABOT_LLM_MODEL="openai:gpt-4o-mini",
    )
    config = app.knowledge().config
    assert config.data_dir == (tmp_path / "data").resolve()
    assert (config.model_name, config.chroma_url) == (
        "intfloat/multilingual-e5-small", "http://chroma.test:8000",
    )  # fmt: skip
    assert (config.collection, config.device) == ("dept-kb", "cuda:1")
    assert (config.threshold, config.top_k, config.llm_model) == (0.55, 5, "openai:gpt-4o-mini")
    assert app.action_services().knowledge() is app.knowledge()


def test_learning_settings_reach_the_services_that_use_them(configure: Configure) -> None:
    app = configure(
        KARMABOT_DEFAULT_LANGUAGE="hi",
        KARMABOT_CONTENT_DIR=str(FIXTURE_CONTENT),
        KARMABOT_QUIZ_PASS_MARK="75",
        KARMABOT_POINTS_LESSON="3",
        KARMABOT_POINTS_QUIZ_PASSED="4",
        KARMABOT_POINTS_COURSE_COMPLETED="5",
        KARMABOT_LRS_URL="http://lrs.test/xapi",
        KARMABOT_SUNBIRD_URL="http://sunbird.test/api",
        KARMABOT_MAX_MESSAGE_CHARS="123",
        KARMABOT_RASA_URL="http://rasa.test:5005",
    )
    assert app.learners.get_or_create("web", "new").language == "hi"
    assert [c.id for c in app.library] == ["demo"]
    assert app.journey.pass_mark == 75 and app.journey.library is app.library
    assert app.records.points.rules == type(app.records.points.rules)(3, 4, 5)
    assert app.records is app.journey.records
    gateway = app.gateway_services()
    conversation = gateway.conversation
    assert conversation.max_chars == 123
    assert conversation.rasa._url == "http://rasa.test:5005/webhooks/rest/webhook"
    assert conversation.learners is app.learners and gateway.records is app.records
    assert gateway.sync is not None and [s.name for s in gateway.sync.sinks] == ["lrs", "sunbird"]


def test_sync_settings_reach_the_sinks(configure: Configure) -> None:
    app = configure(
        KARMABOT_LRS_URL="http://lrs.test/xapi",
        KARMABOT_LRS_USERNAME="user",
        KARMABOT_LRS_PASSWORD="secret",
        KARMABOT_XAPI_HOME_PAGE="https://igot.test",
        KARMABOT_XAPI_ACTIVITY_BASE="https://igot.test/xapi",
        KARMABOT_SUNBIRD_URL="http://sunbird.test/api",
        KARMABOT_SUNBIRD_API_KEY="key",
        KARMABOT_SUNBIRD_USER_TOKEN="token",
        KARMABOT_SUNBIRD_BATCH_ID="batch-1",
    )
    job = app.sync_job()
    assert job is not None
    lrs, sunbird = job.sinks
    assert lrs.endpoint == "http://lrs.test/xapi/statements"  # type: ignore[attr-defined]
    assert (lrs._home_page, lrs._base) == ("https://igot.test", "https://igot.test/xapi")  # type: ignore[attr-defined]
    assert lrs._auth._auth_header == "Basic dXNlcjpzZWNyZXQ="  # type: ignore[attr-defined]
    assert sunbird.url == "http://sunbird.test/api/v1/content/state/update"  # type: ignore[attr-defined]
    assert sunbird._batch_id == "batch-1"  # type: ignore[attr-defined]
    assert sunbird._headers["Authorization"] == "Bearer key"  # type: ignore[attr-defined]
    assert sunbird._headers["x-authenticated-user-token"] == "token"  # type: ignore[attr-defined]


def test_database_url_picks_the_learner_store(configure: Configure, tmp_path: Path) -> None:
    app = configure(DATABASE_URL=f"sqlite:///{tmp_path / 'elsewhere.db'}")
    app.learners.get_or_create("web", "x")
    assert (tmp_path / "elsewhere.db").is_file()
    assert not (tmp_path / "data" / "karmabot.db").exists()


def test_an_unknown_default_language_is_refused_with_its_name(configure: Configure) -> None:
    app = configure(KARMABOT_DEFAULT_LANGUAGE="xx")
    with pytest.raises(ConfigurationError, match="KARMABOT_DEFAULT_LANGUAGE='xx'"):
        app.learners  # noqa: B018


def test_gateway_settings_reach_the_gateway(configure: Configure) -> None:
    app = configure(
        KARMABOT_API_TOKEN="t0ken",
        KARMABOT_SECRET_KEY="s3cret",
        KARMABOT_MAX_BODY_BYTES="4096",
        KARMABOT_CLIENT_LIMIT="5/second",
        KARMABOT_FLOOD_LIMIT="3/minute",
        KARMABOT_CORS_ORIGINS="https://lms.example.gov.in, https://igot.example.gov.in",
    )
    policy = app.gateway_services().policy
    assert (policy.api_token, policy.secret_key, policy.max_body_bytes) == ("t0ken", "s3cret", 4096)
    assert policy.client_limit == "5/second"
    assert policy.cors_origins == ("https://lms.example.gov.in", "https://igot.example.gov.in")
    assert app.conversation.flood._rate == (3.0, 60.0)  # 3 messages per minute


@pytest.mark.parametrize("name", ["secret_key", "dashboard_secret"])
def test_without_a_secret_key_one_is_made_once_and_kept_private(
    configure: Configure, tmp_path: Path, name: str
) -> None:
    app = configure()
    key = getattr(app, name)()
    path = tmp_path / "data" / name
    assert len(key) >= 40 and path.read_text() == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert getattr(configure(), name)() == key
    # The web chat's key and the dashboard's are apart: rotating one leaves the other.
    assert app.secret_key() != app.dashboard_secret()


def test_dashboard_settings_reach_the_dashboard(configure: Configure, tmp_path: Path) -> None:
    from bot.dashboard import build_dashboard

    app = configure(
        KARMABOT_DASHBOARD_SECRET="d4sh",
        KARMABOT_DASHBOARD_LINK_HOURS="2",
        KARMABOT_DASHBOARD_SESSION_HOURS="0.5",
        KARMABOT_PUBLIC_URL="https://karmabot.example.gov.in/",
        KARMABOT_TIMEZONE="Asia/Dubai",
        KARMABOT_CLIENT_LIMIT="7/minute",
    )
    dashboard = build_dashboard(app)
    assert dashboard.secret == "d4sh" and dashboard.secure_cookies
    assert str(dashboard.zone) == "Asia/Dubai" and dashboard.client_limit == "7/minute"
    assert dashboard.access is app.dashboard_access
    assert app.dashboard_access.link_ttl.total_seconds() == 2 * 3600
    assert app.dashboard_access.session_ttl.total_seconds() == 1800
    assert dashboard.keys().session_max_age == 1800
    mounted = app.gateway_services().dashboard_routes
    assert [route.path for route in mounted] == ["/dashboard"]  # type: ignore[attr-defined]
    plain = configure(KARMABOT_PUBLIC_URL="http://10.0.0.5:8080")
    assert not build_dashboard(plain).secure_cookies
