"""A deterministic synthetic corpus (Markdown files of `##` sections) and unique queries.

Words come from the real content (content/ when present, else the test fixtures), grouped
by language, so tokens, scripts and lengths look like course text. Each file has
`SECTIONS` sections of 35-70 words (300-500 characters, a typical lesson passage).
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

from knowledge.text import dominant_script, romanize, words

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "content", ROOT / "tests/knowledge/fixtures/kb")
SECTIONS = 10
LANGUAGES = (("en", 0.7), ("hi", 0.2), ("ta", 0.05), ("bn", 0.05))
_SCRIPT_LANGUAGE = {"Latn": "en", "Deva": "hi", "Taml": "ta", "Beng": "bn"}


def vocabulary() -> dict[str, list[str]]:
    """Words of the sample content per language (en, hi, ta, bn)."""
    pools: dict[str, set[str]] = defaultdict(set)
    for source in SOURCES:
        for path in sorted(source.rglob("*.md")) if source.is_dir() else []:
            for word in words(path.read_text(encoding="utf-8")):
                language = _SCRIPT_LANGUAGE.get(dominant_script(word) or "")
                if language and len(word) > 1:
                    pools[language].add(word)
    filler = {
        "en": "officer course training public record citizen service office rule report",
        "hi": "अधिकारी पाठ्यक्रम प्रशिक्षण नागरिक सेवा कार्यालय नियम सूचना",
        "ta": "அலுவலர் பயிற்சி குடிமக்கள் சேவை அலுவலகம் விதி தகவல்",
        "bn": "কর্মকর্তা প্রশিক্ষণ নাগরিক সেবা দপ্তর নিয়ম তথ্য",
    }
    for language, text in filler.items():
        pools[language].update(text.split())
    return {language: sorted(pool) for language, pool in pools.items()}


def _language(rng: random.Random) -> str:
    pick = rng.random()
    for language, share in LANGUAGES:
        if pick < share:
            return language
        pick -= share
    return "en"


def write_corpus(folder: Path, chunks: int, seed: int = 7) -> list[Path]:
    """Write `chunks / SECTIONS` Markdown files under `folder` (kept if already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".complete-{chunks}-{seed}"
    files = [folder / f"doc-{i:05d}.md" for i in range(chunks // SECTIONS)]
    if marker.exists():
        return files
    rng = random.Random(seed)
    pools = vocabulary()
    for i, path in enumerate(files):
        language = _language(rng)
        pool = pools.get(language) or pools["en"]
        parts = [f"# Synthetic document {i}"]
        for section in range(SECTIONS):
            heading = " ".join(rng.choices(pool, k=3))
            body = " ".join(rng.choices(pool, k=rng.randint(35, 70)))
            parts.append(f"## {section + 1}. {heading}\n\n{body}.")
        path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    marker.write_text("ok", encoding="utf-8")
    return files


def queries(count: int, seed: int = 11) -> list[tuple[str, str]]:
    """`count` distinct (question, language) pairs: English, Hindi and romanized Hindi."""
    rng = random.Random(seed)
    pools = vocabulary()
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    templates = {
        "en": "What is {} ?",
        "hi": "{} क्या है?",
        "hi-Latn": "{} kya hai",
    }
    while len(out) < count:
        language = rng.choice(["en", "en", "hi", "hi-Latn"])
        pool = pools["hi" if language.startswith("hi") else "en"]
        phrase = " ".join(rng.choices(pool, k=rng.randint(2, 5)))
        if language == "hi-Latn":
            phrase = romanize(phrase)
        question = templates[language].format(phrase)
        if question not in seen:
            seen.add(question)
            out.append((question, language.split("-")[0]))
    return out
