"""The held-out NLU test sets stay held out, and every language form covers every intent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.nlu_eval import FORMS
from core.settings import PROJECT_ROOT

TRAIN_DIR = PROJECT_ROOT / "bot" / "data" / "nlu"
TEST_DIR = PROJECT_ROOT / "tests" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def examples(path: Path) -> dict[str, list[str]]:
    """Intent → example texts (entity annotations removed), from a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for block in data.get("nlu", []):
        if "intent" in block:
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]
            texts = [_ANNOTATION.sub(lambda m: m.group(1) or m.group(2), t) for t in lines]
            found.setdefault(block["intent"], []).extend(texts)
    return found


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _training() -> set[str]:
    return {_normal(t) for p in TRAIN_DIR.glob("*.yml") for ts in examples(p).values()
            for t in ts}  # fmt: skip


def test_no_own_test_example_appears_in_the_training_data() -> None:
    training = _training()
    leaked = [t for form in FORMS for ts in examples(TEST_DIR / f"{form}.yml").values()
              for t in ts if _normal(t) in training]  # fmt: skip
    assert leaked == []


def test_the_independent_set_is_never_trained_on() -> None:
    """Short everyday phrases ("help", "next", "bye") are bound to be on both sides, and so
    are the few longer ones found when the set was frozen (overlap.txt); any other message of
    three or more words in the training data was copied from the set."""
    training = _training()
    frozen = (TEST_DIR / "independent" / "overlap.txt").read_text(encoding="utf-8")
    known = {tuple(line.split("\t", 1)) for line in frozen.splitlines() if "\t" in line}
    leaked = [(form, _normal(t)) for form in FORMS
              for ts in examples(TEST_DIR / "independent" / f"{form}.yml").values() for t in ts
              if _normal(t) in training and len(t.split()) >= 3]  # fmt: skip
    assert [item for item in leaked if item not in known] == []


def test_the_independent_set_covers_every_typed_intent_in_every_form() -> None:
    typed = set(examples(TEST_DIR / "en.yml"))
    for form in FORMS:
        found = examples(TEST_DIR / "independent" / f"{form}.yml")
        assert set(found) == typed, form
        assert min(len(v) for v in found.values()) >= 10, form


@pytest.mark.parametrize("form", FORMS)
def test_each_language_form_trains_and_tests_every_intent(form: str) -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    train, test = examples(TRAIN_DIR / f"{form}.yml"), examples(TEST_DIR / f"{form}.yml")
    button_only = {
        "keep_language",
        "enroll_course",
        "read_lesson",
        "confirm_name",
        "change_name",
    }  # reached by buttons; typed forms trained
    # Only meaningful with the button's entities (which review item, which campaign): never typed.
    payload_only = {"review_answer", "campaign_quick", "campaign_confirm", "campaign_drop",
                    "campaign_list"}  # fmt: skip
    for intent in set(domain["intents"]) - payload_only:
        assert len(train.get(intent, [])) >= 6, f"{form}: {intent} has too few examples"
        if intent not in button_only:
            assert len(test.get(intent, [])) >= 7, f"{form}: {intent} is not tested"
