"""Chunks keep headings, carry citation metadata and have deterministic ids."""

from __future__ import annotations

from pathlib import Path

from knowledge import loaders
from knowledge.chunking import CHUNK_SIZE, split
from knowledge.documents import Document

from .conftest import CORPUS


def test_sections_keep_their_heading_and_metadata() -> None:
    chunks = split(loaders.load(CORPUS / "rti-basics/lessons/01-requests.md"))
    by_heading = {c.metadata["heading"]: c for c in chunks}
    assert set(by_heading) == {"", "Time limit", "First appeal", "Exemptions", "Certificate"}
    first_appeal = by_heading["First appeal"]
    assert first_appeal.text.startswith("## First appeal")
    meta = first_appeal.metadata
    assert (meta["course"], meta["lesson"], meta["language"]) == ("rti-basics", "01-requests", "en")
    assert meta["source"].endswith("rti-basics/lessons/01-requests.md")
    assert meta["title"] == "Answering RTI requests"


def test_ids_are_deterministic_and_change_with_content() -> None:
    doc = loaders.load(CORPUS / "cyber-basics/lessons/02-phishing.md")
    assert [c.id for c in split(doc)] == [c.id for c in split(doc)]
    changed = Document(doc.text.replace("Do not click", "Never click"), doc.path, doc.source)
    assert {c.id for c in split(changed)} != {c.id for c in split(doc)}


def test_parallel_lessons_share_section_numbers() -> None:
    en = split(loaders.load(CORPUS / "cyber-basics/lessons/01-passwords.md"))
    hi = split(loaders.load(CORPUS / "cyber-basics/lessons/01-passwords.hi.md"))
    assert [c.metadata["section"] for c in en] == [c.metadata["section"] for c in hi]


def test_long_sections_are_split_to_chat_size_and_keep_the_heading(tmp_path: Path) -> None:
    body = "## Rules\n\n" + "\n\n".join(
        f"Rule {i} says that officers must file the form number {i} on time." * 3 for i in range(12)
    )
    doc = Document(body, tmp_path / "rules.md", "rules.md", {"language": "en"})
    chunks = split(doc)
    assert len(chunks) > 2
    assert all(len(c.text) <= CHUNK_SIZE + 20 for c in chunks)
    assert all(c.text.startswith("## Rules") for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)
