"""The domain's English fallback responses stay identical to the English catalog."""

from __future__ import annotations

import yaml

from core.settings import PROJECT_ROOT


def test_domain_fallbacks_match_the_english_catalog() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    catalog = yaml.safe_load((PROJECT_ROOT / "core/locales/en.yml").read_text(encoding="utf-8"))
    assert domain["responses"], "the domain lists its canned responses"
    for name, variants in domain["responses"].items():
        english = catalog["responses"][name]
        assert variants[0]["text"] == english["text"], name
        assert variants[0].get("buttons", []) == english.get("buttons", []), name


def test_every_utterance_the_domain_lists_exists_in_the_catalog() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    catalog = yaml.safe_load((PROJECT_ROOT / "core/locales/en.yml").read_text(encoding="utf-8"))
    utterances = [a for a in domain["actions"] if a.startswith("utter_")]
    assert utterances and all(a in catalog["responses"] for a in utterances)
