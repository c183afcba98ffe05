"""bot/rasa_server.py: the version guard and `--stock` switch, and patched Rasa = stock Rasa.

The guard tests run here in .venv with fake patches. The parity test runs the same messages
through patched and stock Rasa in .venv-rasa (tests/rasa/parity.py), against the real action
server, and compares NLU predictions, replies, predicted actions and tracker events.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bot import rasa_patches, rasa_server
from bot.stack import MODEL_PATH, RASA_PYTHON, build_services, child_env, rasa_env
from core.settings import PROJECT_ROOT, Settings

PARITY = PROJECT_ROOT / "tests" / "rasa" / "parity.py"
REDIS_DB = 12  # the scale run's Redis database (keys under a prefix of its own, deleted)
HELD_OUT = PROJECT_ROOT / "tests" / "nlu"
ALL_PATCHES = [
    "_cached_validate",
    *(patch.__name__ for patch in rasa_server.RASA_PATCHES),
]

# -- the guard and the switch (fake patches, no Rasa) ----------------------------------------


@pytest.fixture
def launcher(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """`rasa_server` with recording fake patches, fake versions and a fake Rasa CLI."""
    seen: dict[str, Any] = {"patched": [], "argv": None, "versions": ("3.6.21", "3.2.0")}

    def fake(name: str) -> Any:
        def patch() -> None:
            seen["patched"].append(name)

        patch.__name__ = name
        return patch

    monkeypatch.setattr(rasa_server, "_installed", None)
    monkeypatch.setattr(rasa_server.logger, "handlers", [])  # main() adds one; drop it after
    monkeypatch.setattr(rasa_server, "_cached_validate", fake("_cached_validate"))
    monkeypatch.setattr(
        rasa_server, "RASA_PATCHES", tuple(fake(p.__name__) for p in rasa_server.RASA_PATCHES)
    )
    monkeypatch.setattr(rasa_server, "installed_versions", lambda: seen["versions"])
    monkeypatch.setattr(rasa_server, "_run_rasa", lambda argv: seen.__setitem__("argv", argv))
    level = rasa_server.logger.level
    yield seen
    rasa_server.logger.setLevel(level)


def test_the_patches_are_installed_on_the_versions_they_were_written_for(
    launcher: dict[str, Any],
) -> None:
    rasa_server.main(["run", "--model", "m.tar.gz"])
    assert launcher["patched"] == ALL_PATCHES
    assert launcher["argv"] == ["run", "--model", "m.tar.gz"]


def test_another_rasa_version_starts_stock_rasa_with_a_warning(
    launcher: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    launcher["versions"] = ("3.6.20", "3.2.0")
    with caplog.at_level(logging.WARNING, logger="bot.rasa_server"):
        rasa_server.main(["run", "--model", "m.tar.gz"])
    assert launcher["patched"] == []
    assert launcher["argv"] == ["run", "--model", "m.tar.gz"]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "3.6.20" in warning.getMessage() and "3.6.21" in warning.getMessage()


def test_another_jsonschema_keeps_the_stock_validate_with_a_warning(
    launcher: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    launcher["versions"] = ("3.6.21", "4.17.3")
    with caplog.at_level(logging.WARNING, logger="bot.rasa_server"):
        rasa_server.main(["run"])
    assert launcher["patched"] == ALL_PATCHES[1:]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "4.17.3" in warning.getMessage() and "3.2.0" in warning.getMessage()


@pytest.mark.parametrize(
    "argv",
    [
        ["--stock", "run", "--model", "m.tar.gz"],
        ["run", "--stock", "--model", "m.tar.gz"],
        ["run", "--model", "m.tar.gz", "--stock"],
    ],
)
def test_stock_installs_no_patch_and_is_not_passed_to_rasa(
    launcher: dict[str, Any], argv: list[str]
) -> None:
    rasa_server.main(argv)
    assert launcher["patched"] == []
    assert launcher["argv"] == ["run", "--model", "m.tar.gz"]


def test_the_arguments_come_from_the_command_line(
    launcher: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["bot/rasa_server.py", "--stock", "shell", "--debug"])
    rasa_server.main()
    assert launcher["patched"] == []
    assert launcher["argv"] == ["shell", "--debug"]


def test_split_stock_flag() -> None:
    assert rasa_server.split_stock_flag(["run", "-p", "5005"]) == (False, ["run", "-p", "5005"])
    assert rasa_server.split_stock_flag(["--stock", "run"]) == (True, ["run"])
    assert rasa_server.split_stock_flag([]) == (False, [])


def test_patches_are_installed_once(launcher: dict[str, Any]) -> None:
    assert rasa_server.install_patches("3.6.21", "3.2.0") == ALL_PATCHES
    assert rasa_server.install_patches("3.6.21", "3.2.0") == ALL_PATCHES
    assert launcher["patched"] == ALL_PATCHES


def test_the_launcher_reads_no_environment() -> None:
    for module in (rasa_server, rasa_patches):
        source = inspect.getsource(module)
        assert "environ" not in source and "getenv" not in source, module.__name__


# -- patched Rasa predicts what stock Rasa predicts (real Rasa, real action server) ----------

#: Conversations through custom actions (learner records, courses, lessons, reminders,
#: language), NLG responses, buttons and free text in English, Hindi, romanized Hindi and
#: Tamil. No quiz is started: the quiz flow shuffles its questions and options with an
#: unseeded RNG, so its texts differ between any two runs, patched or not.
CONVERSATIONS: dict[str, list[str]] = {
    "en-onboarding": [
        "hello",
        '/choose_language{"language":"hi"}',
        "what can you do",
        "show my progress",
        "please stop sending me reminders",
        "are you a human?",
        "thanks, bye",
    ],
    "hi-latn-course": [
        "namaste",
        "kaunse courses hain",
        '/enroll_course{"course":"rti-for-officials"}',
        "agla lesson",
        "phir se batao",
        "mera progress dikhao",
        "reminders band karo",
    ],
    "hi-questions": [
        "नमस्ते",
        "मदद चाहिए",
        "मिशन कर्मयोगी क्या है",
        "हिंदी में बात करो",
        "मेरी प्रगति दिखाओ",
        '/choose_language{"language":"en"}',
        "धन्यवाद",
    ],
    "ta-progress": [
        "வணக்கம்",
        "என் முன்னேற்றம் காட்டு",
        "நினைவூட்டல்களை மீண்டும் தொடங்கு",
        '/choose_language{"language":"ta"}',
        "படிப்புகளைக் காட்டு",
    ],
    "buttons-course": [
        "show me the courses",
        '/enroll_course{"course":"cyber-hygiene"}',
        '/next_step{"step":"cyber-hygiene/01-passwords/0"}',
        "say that again",
        '/answer_quiz{"option":"2"}',
        "என் முன்னேற்றம்",
        "goodbye",
    ],
    "name-form": [
        "hello",
        "/change_name",
        "Asha Kumari",
        "/change_name",
        "show my progress",
        "/change_name",
        "Ravi Shankar Prasad",
    ],
    # Longer than every policy's window of past states (bot/rasa_history.py, `window_for`),
    # with a form interrupted and resumed in the middle.
    "long-session": [
        "hello",
        "show me the courses",
        '/enroll_course{"course":"cyber-hygiene"}',
        '/next_step{"step":"cyber-hygiene/01-passwords/0"}',
        "say that again",
        "show my progress",
        "/change_name",
        "Meera Iyer",
        "what is mission karmayogi",
        "please stop sending me reminders",
        "turn reminders back on",
        "what can you do",
        "/change_name",
        "show my progress",
        "Anil Kumar",
        "are you a bot?",
        "thanks, bye",
    ],
    "odd-input": [
        "/no_such_intent",
        "asdf qwerty zxcv",
        "👍",
        "b",
        "what is the weather in Delhi",
    ],
}

#: Actions the conversations must reach, so the comparison cannot pass on empty runs.
EXPECTED_ACTIONS = {
    "action_greet",
    "action_choose_language",
    "action_browse_courses",
    "action_enroll_course",
    "action_next_step",
    "action_repeat_step",
    "action_show_progress",
    "action_stop_reminders",
    "action_resume_reminders",
    "action_answer_question",
    "utter_help",
    "utter_bot_identity",
    "action_save_name",
}


def held_out_messages() -> list[str]:
    """The held-out NLU test messages (tests/nlu), entity markup removed."""
    texts: list[str] = []
    for path in sorted(HELD_OUT.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in item.get("examples", "").splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", line)
                if text.strip().startswith("- "):
                    texts.append(text.strip()[2:])
    return texts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def action_server(tmp_path: Path) -> Iterator[int]:
    """The real action server, started as `karmabot up` starts it, on a free port."""
    if not (RASA_PYTHON.exists() and MODEL_PATH.exists()):
        pytest.fail("the Rasa environment and model are missing: run `make setup model`")
    port = free_port()
    settings = Settings(KARMABOT_DATA_DIR=tmp_path / "data", KARMABOT_ACTION_PORT=port)
    [service] = [s for s in build_services(settings) if s.name == "action server"]
    env = os.environ | child_env(settings) | service.env | {"HF_HUB_OFFLINE": "1"}
    with (tmp_path / "action-server.log").open("wb") as log:
        process = subprocess.Popen(
            service.argv, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + service.startup_timeout
        while True:
            assert process.poll() is None, (tmp_path / "action-server.log").read_text()[-3000:]
            try:
                if httpx.get(service.health_url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the action server did not start"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def normalized(value: Any) -> Any:
    """`value` without what differs between any two runs: timestamps and message ids."""
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items() if k not in ("timestamp", "message_id")}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """Where `a` and `b` differ; numbers may differ by 1e-9."""
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        if abs(a - b) > 1e-9:
            yield f"{path}: {a!r} != {b!r}"
    elif isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            if key not in a or key not in b:
                yield f"{path}/{key}: only in {'patched' if key in a else 'stock'}"
            else:
                yield from differences(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: {a!r} != {b!r}"


def predicted_actions(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The actions a conversation ran, and the policy that predicted each."""
    return [(e["name"], e["policy"]) for e in events if e["event"] == "action"]


@pytest.mark.stack
def test_patched_rasa_predicts_and_records_what_stock_rasa_does(
    tmp_path: Path, action_server: int
) -> None:
    work = tmp_path / "input.json"
    nlu = held_out_messages() + [m for messages in CONVERSATIONS.values() for m in messages]
    work.write_text(json.dumps({"nlu": nlu, "conversations": CONVERSATIONS}), encoding="utf-8")
    runs: dict[str, subprocess.Popen[bytes]] = {}
    # "scale": patched, with the scale profile's Redis lock store and session-scoped Redis
    # tracker store (bot/rasa_tracker_store.py, which keeps the trackers it saved).
    scale = Settings(KARMABOT_DATA_DIR=tmp_path / f"scale{time.time_ns()}",  # type: ignore[call-arg]
                     REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}")  # fmt: skip
    for run in ("patched", "stock", "scale"):
        env = (
            os.environ
            | (rasa_env(scale, "scale") if run == "scale" else {})
            | {
                "KARMABOT_ACTION_PORT": str(action_server),
                "KARMABOT_TRACKER_DB": str(tmp_path / f"tracker-{run}.db"),
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "RASA_TELEMETRY_ENABLED": "false",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "PYTHONPATH": str(PROJECT_ROOT),
            }
        )
        endpoints = "endpoints.scale.yml" if run == "scale" else "endpoints.yml"
        if run == "stock":  # Rasa's own SQL tracker store, not the one that keeps trackers
            stock_endpoints = tmp_path / "endpoints.stock.yml"
            own = (PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8")
            kept_store = "type: bot.rasa_sql_store.SessionSQLTrackerStore"
            assert kept_store in own
            stock_endpoints.write_text(own.replace(kept_store, "type: SQL"), encoding="utf-8")
            endpoints = str(stock_endpoints)
        runs[run] = subprocess.Popen(
            [str(RASA_PYTHON), str(PARITY), *(["--stock"] if run == "stock" else []),
             "--model", str(MODEL_PATH), "--endpoints", endpoints, "--input", str(work),
             # One action server, so each run talks as learners of its own.
             "--sender-prefix", f"{run}-run-", "--out", str(tmp_path / f"{run}.json")],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
    reports: dict[str, Any] = {}
    try:
        outputs = {run: process.communicate(timeout=400)[0] for run, process in runs.items()}
    finally:
        delete_redis_keys(rasa_env(scale, "scale")["KARMABOT_REDIS_PREFIX"])
    for run, process in runs.items():
        output = outputs[run]
        assert process.returncode == 0, output.decode(errors="replace")[-4000:]
        assert b"Unclosed client session" not in output, output.decode(errors="replace")[-4000:]
        text = (tmp_path / f"{run}.json").read_text(encoding="utf-8")
        reports[run] = normalized(json.loads(text.replace(f"{run}-run-", "run-")))
    patched, stock, scaled = reports["patched"], reports["stock"], reports["scale"]

    # The patches were on in one run and off in the other, and did what they are for.
    assert patched["installed"] == ALL_PATCHES
    assert stock["installed"] == []
    assert patched["synchronous"] == {"tracker_store": 1, "other_engine": 2}  # NORMAL, FULL
    assert stock["synchronous"] == {"tracker_store": 2, "other_engine": 2}
    assert (patched["pool"], stock["pool"]) == ("QueuePool", "NullPool")  # kept, not reopened
    assert patched["sessions"]["before"] >= 2 and patched["sessions"]["after"] == 0
    assert stock["sessions"] == {"before": 0, "after": 0}
    # The embedded profile's store keeps the trackers it saved (bot/rasa_sql_store.py).
    assert (patched["tracker_store"], stock["tracker_store"]) == (
        "SessionSQLTrackerStore", "SQLTrackerStore",
    )  # fmt: skip
    assert scaled["tracker_store"] == "SessionRedisTrackerStore"
    assert scaled["installed"] == ALL_PATCHES

    # The conversations went where they should, so the comparison is not of two empty runs.
    reached = {
        name
        for conversation in stock["conversations"].values()
        for name, _ in predicted_actions(conversation["events"])
    }
    assert reached >= EXPECTED_ACTIONS, EXPECTED_ACTIONS - reached
    # The name form's validation (run by the action server, reading `slots_to_validate`) took
    # both typed names.
    named = [e.get("value") for e in stock["conversations"]["name-form"]["events"]
             if e["event"] == "slot" and e.get("name") == "full_name"]  # fmt: skip
    assert {"Asha Kumari", "Ravi Shankar Prasad"} <= set(named), named
    for name, messages in CONVERSATIONS.items():
        assert all(stock["conversations"][name]["replies"]), name
        assert len(stock["conversations"][name]["replies"]) == len(messages)

    # The same predictions, replies and events.
    assert len(patched["nlu"]) == len(stock["nlu"]) == len(scaled["nlu"]) == len(nlu)
    for run, report in (("patched", patched), ("scale", scaled)):
        found = list(differences(report["nlu"], stock["nlu"], f"{run} nlu"))
        assert not found, found[:20]
        for name in CONVERSATIONS:
            mine, theirs = report["conversations"][name], stock["conversations"][name]
            # Rasa's SQL store returns a last session from its `session_started` event, the
            # Redis stores from the `action_session_start` just before it.
            mine = mine | {"events": from_session_start(mine["events"])}
            assert predicted_actions(mine["events"]) == predicted_actions(theirs["events"]), (
                run, name,
            )  # fmt: skip
            found = list(differences(mine, theirs, f"{run} {name}"))
            assert not found, found[:20]


def from_session_start(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A session's events from its `session_started` on."""
    starts = [i for i, event in enumerate(events) if event["event"] == "session_started"]
    return events[starts[-1] :] if starts else events


def delete_redis_keys(prefix: str) -> None:
    """Delete what a run left in the test Redis database under `prefix`."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_actions_read_no_event_before_the_current_turn() -> None:
    """The action server gets only the current turn's events (`_current_turn_to_action_server`).

    So an action must not look further back than the latest user message: no `tracker.events`
    walks, no search for an older event.
    """
    earlier = re.compile(
        r"\.events\b|get_last_event_for|events_after_latest_restart|applied_events|"
        r"idx_after_latest_restart|get_latest_input_channel"
    )
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in sorted((PROJECT_ROOT / "actions").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if earlier.search(line) and "tracker" in line
    ]
    assert not found, found
