"""Split documents into cited passages, keeping their headings (langchain-text-splitters).

Sections come from `MarkdownHeaderTextSplitter` (# to ###); a section longer than a chat
message is split further by `RecursiveCharacterTextSplitter` at paragraphs, lines, then
sentences (Latin and Indic full stops). Each chunk carries its heading line, its section
number (parallel language variants of a lesson share section numbers) and a deterministic id.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from knowledge.documents import Chunk, Document

CHUNK_SIZE = 700
CHUNK_OVERLAP = 80
#: Bump when chunk boundaries or metadata change (files are then re-ingested).
VERSION = "3"
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]
_PARAGRAPH = "\u00b6\u00b6"  # stands in for blank lines, which the header splitter drops
_SEPARATORS = ["\n\n", "\n", "। ", ". ", "? ", "! ", "; ", ", ", " ", ""]


@lru_cache(maxsize=1)
def _splitters() -> tuple[MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter]:
    headers = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=False)
    recursive = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE,
        chunk_overlap=CHUNK_OVERLAP,
        separators=_SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    return headers, recursive


def chunk_id(path_key: str, position: str, text: str) -> str:
    """A deterministic id: SHA-256 of the file path, the chunk's position and its text."""
    digest = hashlib.sha256(f"{path_key}\n{position}\n{text}".encode()).hexdigest()
    return digest[:32]


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, section text) pairs; paragraphs inside a section stay apart."""
    headers, _ = _splitters()
    marked = "\n".join(line if line.strip() else _PARAGRAPH for line in text.splitlines())
    sections = []
    for doc in headers.split_text(marked):
        body = doc.page_content.replace("  \n", "\n")
        paragraphs: list[str] = []
        current: list[str] = []
        for line in body.split("\n"):
            if line.strip() == _PARAGRAPH:
                if current:
                    paragraphs.append("\n".join(current))
                current = []
            else:
                current.append(line.replace(_PARAGRAPH, "").rstrip())
        if current:
            paragraphs.append("\n".join(current))
        content = "\n\n".join(p for p in paragraphs if p.strip())
        if any(not line.startswith("#") for line in content.splitlines() if line.strip()):
            heading = next((doc.metadata[k] for k in ("h3", "h2", "h1") if k in doc.metadata), "")
            sections.append((str(heading), content.strip()))
    return sections


def split(document: Document) -> list[Chunk]:
    """The chunks of one document, in reading order, each with citation metadata."""
    _, recursive = _splitters()
    meta = document.metadata
    key = document.path.as_posix()
    chunks: list[Chunk] = []
    for section, (heading, content) in enumerate(_sections(document.text)):
        parts = [content] if len(content) <= CHUNK_SIZE else recursive.split_text(content)
        heading_line = content.split("\n", 1)[0] if heading and content.startswith("#") else ""
        for part_no, part in enumerate(parts):
            text = part.strip()
            if part_no and heading_line and not text.startswith("#"):
                text = f"{heading_line}\n{text}"
            if not text.strip("#").strip():
                continue
            position = f"{section}.{part_no}"
            metadata = {
                "source": document.source,
                "path": key,
                "course": meta.get("course", ""),
                "course_title": meta.get("course_title", ""),
                "lesson": meta.get("lesson", ""),
                "title": meta.get("lesson_title") or meta.get("title", ""),
                "heading": heading,
                "language": meta.get("language", "en"),
                "format": meta.get("format", ""),
                "section": section,
                "part": part_no,
            }
            chunks.append(Chunk(chunk_id(key, position, text), text, metadata))
    return chunks
