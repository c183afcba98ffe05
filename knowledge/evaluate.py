"""`eval rag`: score retrieval and answers on a question file, per language and per mode.

Each line of the file is {"id", "lang", "q", "expect_any": [...], "expect_none": bool}, and
optionally "course" (ask within a course) and "content_lang" (use only content in these
languages, e.g. "en" to measure Hindi questions over English-only content; such questions
are reported under "hi→en"). A question is a hit when an expected string is in the answer
or in a cited passage; an `expect_none` question is right when the answer abstains. Of the
hits, *precise* counts those whose fact is in the first 300 characters of the answer text
itself (what the learner reads first). Dense-only, BM25-only and hybrid retrieval run side
by side with the same answer logic.

Two sets are kept (`karmabot eval rag` runs both): the project's own questions over the
sample courses (bench/knowledge/qa.jsonl), and a blind set over documents nobody tuned for
(bench/knowledge/blind: dev for calibrating, test for reporting), scored over a knowledge
base of those documents alone (`separate_base`).
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from knowledge.base import KnowledgeBase
from knowledge.documents import Answer
from knowledge.retrieval import MODES, Mode
from knowledge.text import normalize

#: Ranks beyond this count as misses for recall and MRR.
EVAL_DEPTH = 20
#: A precise answer has its fact within this many characters of its start.
PRECISE_CHARS = 300


class QAFileError(ValueError):
    """The question file has problems (each names its line)."""


@dataclass(frozen=True)
class Question:
    """One evaluation question."""

    id: str
    lang: str
    q: str
    expect_any: tuple[str, ...]
    expect_none: bool
    course: str | None = None
    content_lang: tuple[str, ...] | None = None

    @property
    def group(self) -> str:
        """The report row: the language, with "→content" when content is restricted."""
        return f"{self.lang}→{'+'.join(self.content_lang)}" if self.content_lang else self.lang


@dataclass
class Outcome:
    """How one question went in one mode."""

    question: Question
    rank: int | None
    confidence: float
    hit: bool
    top_hit: bool
    seconds: float
    precise: bool = False


@dataclass
class Scores:
    """Aggregates for one language (or all)."""

    n: int = 0
    answerable: int = 0
    unanswerable: int = 0
    recall1: float | None = None
    recall5: float | None = None
    mrr: float | None = None
    answer_hit: float | None = None
    precise: float | None = None
    abstention: float | None = None
    false_abstention: float | None = None
    ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def read_questions(path: Path) -> list[Question]:
    """Parse a JSONL question file.

    Raises:
        QAFileError: listing every bad line.
    """
    questions, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            item = json.loads(line)
            content = item.get("content_lang")
            questions.append(
                Question(
                    id=str(item["id"]),
                    lang=str(item["lang"]),
                    q=str(item["q"]),
                    expect_any=tuple(str(x) for x in item.get("expect_any") or ()),
                    expect_none=bool(item.get("expect_none", False)),
                    course=item.get("course") or None,
                    content_lang=(content,)
                    if isinstance(content, str)
                    else tuple(content or ()) or None,
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{path}:{number}: {type(exc).__name__}: {exc}")
    if problems:
        raise QAFileError("\n".join(problems))
    return questions


def _fold(text: str) -> str:
    return " ".join(normalize(text).casefold().split())


def _contains(text: str, expected: Sequence[str]) -> bool:
    folded = _fold(text)
    return any(_fold(e) in folded for e in expected if e.strip())


def _outcome(
    kb: KnowledgeBase, question: Question, answer: Answer, seconds: float, threshold: float
) -> Outcome:
    rank = None
    if not question.expect_none:
        for position, passage in enumerate(answer.hits, 1):
            if _contains(passage.text, question.expect_any):
                rank = position
                break
    cited = kb.store.get([c.chunk_id for c in answer.citations if c.score >= threshold])
    texts = [answer.text] + [r.text for r in cited.values()]
    top_hit = not question.expect_none and any(_contains(t, question.expect_any) for t in texts)
    hit = top_hit and answer.confidence >= threshold
    precise = not question.expect_none and _contains(answer.text[:PRECISE_CHARS],
                                                     question.expect_any)  # fmt: skip
    return Outcome(question, rank, answer.confidence, hit, top_hit, seconds, precise)


def run(
    kb: KnowledgeBase, questions: Sequence[Question], modes: Sequence[Mode] = MODES
) -> dict[str, list[Outcome]]:
    """Ask every question in every mode (never logging gaps); outcomes per mode."""
    raw = KnowledgeBase(kb.config.with_(threshold=-1.0), embedder=kb.embedder, glossary=kb.glossary)
    raw.ask("Mission Karmayogi", log_gap=False)  # load the model and the index before timing
    results: dict[str, list[Outcome]] = {}
    for mode in modes:
        outcomes = []
        for question in questions:
            started = time.perf_counter()
            answer = raw.ask(
                question.q,
                language=question.lang.split("-")[0],
                course=question.course,
                mode=mode,
                languages=question.content_lang,
                log_gap=False,
                depth=EVAL_DEPTH,
            )
            elapsed = time.perf_counter() - started
            outcomes.append(_outcome(raw, question, answer, elapsed, kb.config.threshold))
        results[mode] = outcomes
    return results


def aggregate(outcomes: Sequence[Outcome], threshold: float) -> Scores:
    """Recall@1, recall@5, MRR, answer-hit and abstention accuracy of some outcomes."""
    scores = Scores(n=len(outcomes))
    answerable = [o for o in outcomes if not o.question.expect_none]
    unanswerable = [o for o in outcomes if o.question.expect_none]
    scores.answerable, scores.unanswerable = len(answerable), len(unanswerable)
    if answerable:
        n = len(answerable)
        scores.recall1 = sum(o.rank == 1 for o in answerable) / n
        scores.recall5 = sum(o.rank is not None and o.rank <= 5 for o in answerable) / n
        scores.mrr = sum(1.0 / o.rank for o in answerable if o.rank) / n
        hits = [o for o in answerable if o.top_hit and o.confidence >= threshold]
        scores.answer_hit = len(hits) / n
        scores.precise = sum(o.precise for o in hits) / len(hits) if hits else None
        scores.false_abstention = sum(o.confidence < threshold for o in answerable) / n
    if unanswerable:
        scores.abstention = sum(o.confidence < threshold for o in unanswerable) / len(unanswerable)
    if outcomes:
        scores.ms = 1000 * sum(o.seconds for o in outcomes) / len(outcomes)
    return scores


def report(results: dict[str, list[Outcome]], threshold: float) -> dict[str, Any]:
    """Scores per mode, per language group and overall, as JSON-ready values."""
    out: dict[str, Any] = {"threshold": threshold, "modes": {}}
    for mode, outcomes in results.items():
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            groups[outcome.question.group].append(outcome)
        table = {g: vars(aggregate(o, threshold)) for g, o in sorted(groups.items())}
        table["all"] = vars(aggregate(outcomes, threshold))
        for row in table.values():
            row.pop("extra", None)
        out["modes"][mode] = table
    return out


def calibrate(outcomes: Sequence[Outcome]) -> tuple[float, float]:
    """The threshold that maximises correct decisions (a hit, or a right abstention).

    Returns:
        The middle of the widest range of thresholds that reach the best rate (the safest
        choice between the confidences seen), and that rate.
    """
    edges = sorted({round(o.confidence, 4) for o in outcomes} | {0.0, 1.0})

    def rate(threshold: float) -> float:
        right = sum(
            (o.confidence < threshold)
            if o.question.expect_none
            else (o.top_hit and o.confidence >= threshold)
            for o in outcomes
        )
        return right / max(len(outcomes), 1)

    # Between two neighbouring confidences every threshold decides alike.
    spans = [(low, high, rate((low + high) / 2)) for low, high in pairwise(edges)]
    best = max(r for _, _, r in spans)
    runs: list[tuple[float, float]] = []
    for low, high, r in spans:
        if r == best and runs and runs[-1][1] == low:
            runs[-1] = (runs[-1][0], high)
        elif r == best:
            runs.append((low, high))
    low, high = max(runs, key=lambda run: run[1] - run[0])
    return round((low + high) / 2, 4), best


def markdown(summary: dict[str, Any]) -> str:
    """The report as Markdown tables (one per mode)."""
    lines = [f"Threshold {summary['threshold']:.2f}", ""]
    header = (
        "| language | n | recall@1 | recall@5 | MRR | answer-hit | fact ≤ 300 chars "
        "| abstention | ms |"
    )
    for mode, table in summary["modes"].items():
        lines += [f"**{mode}**", "", header, "|" + "---|" * 9]
        for group, s in table.items():
            abst = f"{s['abstention']:.2f} ({s['unanswerable']})" if s["unanswerable"] else "–"
            hit = f"{s['answer_hit']:.2f} ({s['answerable']})" if s["answerable"] else "–"
            ranks = [
                f"{s[k]:.2f}" if s[k] is not None else "–" for k in ("recall1", "recall5", "mrr")
            ]
            precise = f"{s['precise']:.2f}" if s.get("precise") is not None else "–"
            lines.append(
                f"| {group} | {s['n']} | {' | '.join(ranks)} | {hit} | {precise} | {abst} "
                f"| {s['ms']:.0f} |"
            )
        lines.append("")
    return "\n".join(lines)


def separate_base(kb: KnowledgeBase, docs: Path) -> KnowledgeBase:
    """A knowledge base over the files in `docs` alone, beside the learners' one (its own
    folder and collection under the data directory, named after the folder and its parent,
    so two sets' "docs" folders never share one), sharing the loaded model; ingested
    incrementally, so a second run only reads the manifest."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{docs.resolve().parent.name}-{docs.name}").strip("-")
    config = kb.config.with_(
        data_dir=kb.config.data_dir / "eval" / name, collection=f"karmabot-eval-{name}"[:63]
    )
    base = KnowledgeBase(config, embedder=kb.embedder, glossary=kb.glossary)
    base.ingest([docs], progress=False)
    return base
