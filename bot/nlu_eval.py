"""Intent F1 per language form on the held-out NLU test sets (tests/nlu/<form>.yml).

The scoring half runs inside the Rasa environment (`.venv-rasa`), loading the trained model once
for all test sets; the other half, used by `karmabot nlu-eval`, calls it and formats the table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_DIR = PROJECT_ROOT / "tests" / "nlu"
RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
MODEL_PATH = PROJECT_ROOT / "models" / "karmabot.tar.gz"
FORMS = ("en", "hi", "hi-Latn", "ta")


@dataclass(frozen=True)
class LanguageScore:
    """Scores for one language form."""

    language: str
    examples: int
    accuracy: float
    f1: float
    errors: list[tuple[str, str, str]]  # (text, expected, predicted)


def evaluate_all(model: Path = MODEL_PATH, forms: tuple[str, ...] = FORMS) -> list[LanguageScore]:
    """Score every language form with the trained model (runs the Rasa environment once)."""
    command = [str(RASA_PYTHON), __file__, str(model), *(str(TEST_DIR / f"{f}.yml") for f in forms)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"NLU evaluation failed:\n{done.stderr[-2000:]}")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [
        LanguageScore(r["language"], r["examples"], r["accuracy"], r["f1"],
                      [tuple(e) for e in r["errors"]])
        for r in rows
    ]  # fmt: skip


def format_table(scores: list[LanguageScore]) -> str:
    """A small fixed-width table of the scores."""
    lines = [f"{'language':<10}{'examples':>10}{'accuracy':>10}{'intent F1':>11}"]
    for s in scores:
        lines.append(f"{s.language:<10}{s.examples:>10}{s.accuracy:>10.3f}{s.f1:>11.3f}")
    return "\n".join(lines)


def _score_in_rasa(model: str, paths: list[str]) -> list[dict[str, object]]:  # pragma: no cover
    """Runs inside `.venv-rasa`: parse every test example with the model and score intents."""
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import accuracy_score, f1_score

    logging.disable(logging.WARNING)
    agent = Agent.load(model)

    async def predict(texts: list[str]) -> list[str]:
        return [(await agent.parse_message(t))["intent"]["name"] for t in texts]

    results = []
    for path in paths:
        examples = [e for e in load_data(path).intent_examples if e.get("text")]
        texts = [e.get("text") for e in examples]
        expected = [e.get("intent") for e in examples]
        predicted = asyncio.run(predict(texts))
        pairs = zip(texts, expected, predicted, strict=True)
        results.append({
            "language": Path(path).stem,
            "examples": len(examples),
            "accuracy": accuracy_score(expected, predicted),
            "f1": f1_score(expected, predicted, average="weighted", zero_division=0),
            "errors": [[t, e, p] for t, e, p in pairs if e != p],
        })  # fmt: skip
    return results


if __name__ == "__main__":  # pragma: no cover - executed by RASA_PYTHON
    print(json.dumps(_score_in_rasa(sys.argv[1], sys.argv[2:]), ensure_ascii=False))
