"""Plain values passed between the knowledge base's stages: documents, chunks, hits, answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Document:
    """A loaded file, as Markdown-like text (headings as `#` lines) with its metadata.

    Attributes:
        text: The body; headings are `#` lines so chunking can keep them.
        path: The file, absolute.
        source: How citations name the file (relative to the working directory when inside).
        metadata: course, course_title, lesson, lesson_title, language, format.
    """

    text: str
    path: Path
    source: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, the unit that is embedded, indexed, retrieved and cited.

    Attributes:
        id: Deterministic: a hash of the file path, the position and the text.
        text: The passage as shown to the learner (its heading line included).
        metadata: source, course, lesson, heading, language, section, part, title, ...
    """

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def index_text(self) -> str:
        """What is embedded and tokenised: the lesson title, then the passage."""
        title = str(self.metadata.get("title") or "")
        if title and title not in self.text:
            return f"{title}\n{self.text}"
        return self.text


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the ranks that produced it.

    `origin` is the id of the passage that was actually found when this one is its
    translation into the learner's language.
    """

    id: str
    text: str
    metadata: dict[str, Any]
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    similarity: float | None = None
    confidence: float | None = None
    origin: str | None = None


@dataclass(frozen=True)
class Citation:
    """Where an answer came from."""

    course: str
    lesson: str
    heading: str
    source: str
    chunk_id: str
    score: float
    language: str = ""
    title: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The citation as JSON-ready values."""
        return {
            "course": self.course,
            "lesson": self.lesson,
            "heading": self.heading,
            "source": self.source,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 4),
            "language": self.language,
            "title": self.title,
        }


@dataclass(frozen=True)
class Answer:
    """What the knowledge base says to a question.

    Attributes:
        text: The answer (a passage, trimmed to chat size), or a helpful "I don't know".
        language: The language of `text`.
        confident: False when the knowledge base abstained.
        citations: Where the text came from (empty when abstaining).
        confidence: The calibrated score compared with the threshold.
        hits: The ranked passages considered (for evaluation and debugging).
        gap: True when it abstained below the confidence threshold: a question the content
            does not answer (not an empty one).
    """

    text: str
    language: str
    confident: bool
    citations: tuple[Citation, ...] = ()
    confidence: float = 0.0
    hits: tuple[Hit, ...] = ()
    gap: bool = False

    @property
    def lesson(self) -> tuple[str, str] | None:
        """(course, lesson) for a "Read the lesson" button when the answer is from a lesson."""
        for citation in self.citations:
            if citation.course and citation.lesson:
                return citation.course, citation.lesson
        return None

    def as_dict(self) -> dict[str, Any]:
        """The answer in the `ask --json` shape."""
        return {
            "answer": self.text,
            "language": self.language,
            "confident": self.confident,
            "confidence": round(self.confidence, 4),
            "citations": [c.as_dict() for c in self.citations],
        }
