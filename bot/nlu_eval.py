"""Intent F1 per language form on two held-out NLU sets: the project's own (tests/nlu/<form>.yml)
and the independent one (tests/nlu/independent/<form>.yml), written by someone who had not seen
the training data, from the intent descriptions and personas only (tests/nlu/independent/BRIEF.md).

The headline figure is macro F1 (every intent weighs the same, however many examples it has);
weighted F1 and accuracy are shown beside it. The scoring half runs inside the Rasa environment
(`.venv-rasa`), loading the trained model once for all sets; the other half, used by
`karmabot nlu-eval`, calls it and formats the table.
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
FORMS = ("en", "hi", "hi-Latn", "ta", "bn")
#: The held-out sets, by name: the project's own, and the one written blind.
SETS = {"own": TEST_DIR, "independent": TEST_DIR / "independent"}


@dataclass(frozen=True)
class LanguageScore:
    """Scores for one language form of one set."""

    set: str
    language: str
    examples: int
    accuracy: float
    f1: float  # macro
    weighted_f1: float
    errors: list[tuple[str, str, str]]  # (text, expected, predicted)


def test_files(
    sets: dict[str, Path] | None = None, forms: tuple[str, ...] = FORMS
) -> list[tuple[str, Path]]:
    """(set name, file) for every set and form that has a file."""
    chosen = SETS if sets is None else sets
    return [(name, d / f"{f}.yml") for name, d in chosen.items() for f in forms
            if (d / f"{f}.yml").exists()]  # fmt: skip


def evaluate_all(
    model: Path = MODEL_PATH, sets: dict[str, Path] | None = None, forms: tuple[str, ...] = FORMS
) -> list[LanguageScore]:
    """Score every set and language form with the trained model (one Rasa process)."""
    files = test_files(sets, forms)
    command = [str(RASA_PYTHON), __file__, str(model), *(f"{n}={p}" for n, p in files)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"NLU evaluation failed:\n{done.stderr[-2000:]}")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [
        LanguageScore(r["set"], r["language"], r["examples"], r["accuracy"], r["f1"],
                      r["weighted_f1"], [tuple(e) for e in r["errors"]])
        for r in rows
    ]  # fmt: skip


def format_table(scores: list[LanguageScore]) -> str:
    """A small fixed-width table of the scores, one row per set and language form."""
    head = f"{'set':<13}{'language':<10}{'examples':>9}{'accuracy':>10}{'macro F1':>10}"
    lines = [head + f"{'weighted F1':>13}"]
    for s in scores:
        lines.append(
            f"{s.set:<13}{s.language:<10}{s.examples:>9}{s.accuracy:>10.3f}{s.f1:>10.3f}"
            f"{s.weighted_f1:>13.3f}"
        )
    return "\n".join(lines)


def _score_in_rasa(model: str, files: list[str]) -> list[dict[str, object]]:  # pragma: no cover
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
    for item in files:
        name, _, path = item.partition("=")
        examples = [e for e in load_data(path).intent_examples if e.get("text")]
        texts = [e.get("text") for e in examples]
        expected = [e.get("intent") for e in examples]
        predicted = asyncio.run(predict(texts))
        pairs = zip(texts, expected, predicted, strict=True)
        labels = sorted(set(expected))  # a wrong guess (even nlu_fallback) costs recall
        results.append({
            "set": name,
            "language": Path(path).stem,
            "examples": len(examples),
            "accuracy": accuracy_score(expected, predicted),
            "f1": f1_score(expected, predicted, labels=labels, average="macro", zero_division=0),
            "weighted_f1": f1_score(expected, predicted, labels=labels, average="weighted",
                                    zero_division=0),
            "errors": [[t, e, p] for t, e, p in pairs if e != p],
        })  # fmt: skip
    return results


if __name__ == "__main__":  # pragma: no cover - executed by RASA_PYTHON
    print(json.dumps(_score_in_rasa(sys.argv[1], sys.argv[2:]), ensure_ascii=False))
