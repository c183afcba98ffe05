"""Knowledge-base commands of `karmabot`: ingest, ask --json, knowledge gaps, eval rag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli
from bot.container import Container
from tests.bot.conftest import Configure

KB_FIXTURES = Path(__file__).parents[1] / "knowledge" / "fixtures"
CORPUS, FIXTURES = KB_FIXTURES / "kb", KB_FIXTURES

runner = CliRunner()


@pytest.fixture
def configured(configure: Configure) -> Container:
    return configure(HF_HUB_OFFLINE="1", KARMABOT_KB_COLLECTION="cli-test")


def test_ingest_ask_json_and_gaps(configured: Container, tmp_path: Path) -> None:
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    result = runner.invoke(cli.app, ["ingest", "--quiet", str(CORPUS), str(tmp_path / "bad.pdf")])
    assert result.exit_code == 0, result.output
    assert "Ingested 8 files" in result.stdout and "s;" in result.stdout
    assert "bad.pdf" in result.stderr

    result = runner.invoke(cli.app, ["ask", "When was Mission Karmayogi launched?", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["confident"] is True and data["language"] == "en"
    assert "September 2020" in data["answer"]
    assert set(data["citations"][0]) >= {"course", "lesson", "source", "chunk_id", "score"}

    result = runner.invoke(cli.app, ["ask", "pension rules for the army", "--lang", "hi"])
    assert result.exit_code == 0 and "पाठ्यक्रम" in result.stdout

    result = runner.invoke(cli.app, ["knowledge", "gaps"])
    assert result.exit_code == 0 and "1  pension rules for the army" in result.stdout


def test_ask_before_ingest_says_what_to_do(configured: Container) -> None:
    result = runner.invoke(cli.app, ["ask", "anything"])
    assert result.exit_code == 1 and "karmabot ingest" in result.stderr


def test_eval_rag_json(configured: Container) -> None:
    runner.invoke(cli.app, ["ingest", "--quiet", str(CORPUS)])
    qa = FIXTURES / "qa.jsonl"
    result = runner.invoke(cli.app, ["eval", "rag", "--qa", str(qa), "--json", "--calibrate"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["modes"]) == {"hybrid", "dense", "bm25"}
    row = data["modes"]["hybrid"]["hi-Latn"]
    assert set(row) >= {"recall1", "recall5", "mrr", "answer_hit", "abstention"}
    assert 0 <= data["calibrated"]["threshold"] <= 1


def test_eval_rag_names_bad_lines(configured: Container, tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "1", "lang": "en", "q": "x", "expect_any": ["y"]}\n{broken\n')
    result = runner.invoke(cli.app, ["eval", "rag", "--qa", str(qa)])
    assert result.exit_code == 2 and "qa.jsonl:2" in result.stderr


def test_help_does_not_import_heavy_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from bot.cli import app; "
        "heavy = [m for m in ('torch', 'chromadb', 'sentence_transformers') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
