"""Answers: the sentences that answer, from the best passage, cited; or "I don't know".

Within each of the best passages the one to three sentences that cover the question best are
chosen (`knowledge.sentences`: never a heading, byline or an FAQ's question alone), and the
passage's confidence is rebuilt from how much of the question those sentences cover, so the
answer is what the learner needs to read, and the citation still points to the passage. A
lesson passage is given in the learner's language when the lesson exists in it (a passage
found in another language is swapped for its translation, shown whole, trimmed). Below the
confidence threshold the answer abstains and the question goes to the gaps log. Sentences that
look like instructions to a model ("ignore previous instructions ...") are never part of an answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from knowledge.answer_type import answer_fit
from knowledge.confidence import blend
from knowledge.config import KnowledgeConfig
from knowledge.documents import Answer, Citation, Hit
from knowledge.gaps import GapLog
from knowledge.query import QueryPlan
from knowledge.retrieval import Filters, Mode, Retriever
from knowledge.sentences import best_window

log = logging.getLogger(__name__)

#: A passage from the learner's current course wins when its confidence is this close to the best.
PREFER_MARGIN = 0.05

DONT_KNOW = {
    "en": "I don't know that from the course content. I have noted your question for the "
    "course team. You can ask me about a topic from your lessons.",
    "hi": "पाठ्यक्रम की सामग्री में मुझे इसका उत्तर नहीं मिला। मैंने आपका प्रश्न पाठ्यक्रम टीम के लिए "
    "दर्ज कर लिया है। आप अपने पाठों के किसी विषय के बारे में पूछ सकते हैं।",
    "ta": "பாடநெறி உள்ளடக்கத்தில் இதற்கான பதில் எனக்குத் தெரியவில்லை. உங்கள் கேள்வியைப் பாடநெறிக் "
    "குழுவுக்காகக் குறித்துக்கொண்டேன். உங்கள் பாடங்களில் உள்ள ஒரு தலைப்பைப் பற்றிக் கேளுங்கள்.",
    "bn": "কোর্সের বিষয়বস্তুতে আমি এর উত্তর পাইনি। আপনার প্রশ্নটি কোর্স দলের জন্য লিখে রেখেছি। "
    "আপনার পাঠের কোনো বিষয় নিয়ে জিজ্ঞাসা করতে পারেন।",
}
ASK_SOMETHING = {
    "en": "Please type a question about your course, for example: What is Mission Karmayogi?",
    "hi": "कृपया अपने पाठ्यक्रम के बारे में कोई प्रश्न लिखें, जैसे: मिशन कर्मयोगी क्या है?",
    "ta": "உங்கள் பாடநெறி பற்றி ஒரு கேள்வியை எழுதுங்கள், எ.கா.: மிஷன் கர்மயோகி என்றால் என்ன?",
    "bn": "আপনার কোর্স নিয়ে একটি প্রশ্ন লিখুন, যেমন: মিশন কর্মযোগী কী?",
}
_INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\W+(all\W+|any\W+|the\W+|your\W+)*"
    r"(previous|prior|above|earlier|preceding|system)\W+(instructions?|prompts?|rules?|messages?)"
    r"|system\s+prompt|you\s+are\s+now\b|\bjailbreak\b|developer\s+mode",
    re.IGNORECASE,
)
SCORED = 5
_SENTENCE = re.compile(r"(?<=[.?!।])\s+|\n+")

Generator = Callable[[str, list[Hit], str], str | None]


def in_language(messages: dict[str, str], language: str) -> str:
    """A message in `language`, English when there is no translation."""
    return messages.get(language.split("-")[0], messages["en"])


def is_injection(text: str) -> bool:
    """Whether text contains instructions aimed at a language model."""
    return bool(_INJECTION.search(text))


def display(hit: Hit) -> str:
    """A passage as chat text: heading marks removed, injected instructions dropped."""
    text = hit.text.strip()
    heading = re.match(r"#{1,6}\s+([^\n]+)\n+", text)
    if heading:  # "## Time limit\n\nThe PIO ..." → "Time limit\nThe PIO ..."
        text = heading[1].strip() + "\n" + text[heading.end() :]
    text = re.sub(r"(?m)^#{1,6}\s+", "", text)
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    if any(is_injection(s) for s in sentences):
        text = " ".join(s.strip() for s in sentences if not is_injection(s))
    return text.strip()


def trim(text: str, limit: int, keep: set[str], stopwords: frozenset[str]) -> str:
    """`text` cut to `limit` characters around the sentences that match the question best."""
    if len(text) <= limit:
        return text
    from knowledge.text import tokenize

    parts = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    scores = [len(keep & set(tokenize(p, stopwords))) for p in parts]
    best = max(range(len(parts)), key=lambda i: (scores[i], -i))
    start = end = best
    size = len(parts[best])
    while True:
        grown = False
        for candidate in (end + 1, start - 1):
            if 0 <= candidate < len(parts) and size + 1 + len(parts[candidate]) <= limit:
                size += 1 + len(parts[candidate])
                start, end = min(start, candidate), max(end, candidate)
                grown = True
                break
        if not grown:
            break
    result = " ".join(parts[start : end + 1])
    return result if len(result) <= limit else result[: limit - 1].rsplit(" ", 1)[0] + "…"


def cite(hit: Hit, score: float) -> Citation:
    """The citation of a passage."""
    meta = hit.metadata
    return Citation(
        course=str(meta.get("course") or ""),
        lesson=str(meta.get("lesson") or ""),
        heading=str(meta.get("heading") or meta.get("title") or ""),
        source=str(meta.get("source") or ""),
        chunk_id=hit.id,
        score=score,
        language=str(meta.get("language") or ""),
        title=str(meta.get("title") or ""),
    )


class Answerer:
    """Retrieves, scores confidence, picks and trims the passage, cites, abstains or logs."""

    def __init__(
        self,
        config: KnowledgeConfig,
        retriever: Retriever,
        gaps: GapLog | None = None,
        generator: Generator | None = None,
    ) -> None:
        """Wire the parts (nothing is loaded until the first question)."""
        self.config = config
        self.retriever = retriever
        self.gaps = gaps
        self.generator = generator

    def ask(
        self,
        question: str,
        language: str | None = None,
        course: str | None = None,
        mode: Mode = "hybrid",
        languages: tuple[str, ...] | None = None,
        log_gap: bool = True,
        depth: int = SCORED,
        prefer_course: str | None = None,
    ) -> Answer:
        """Answer a question from the content.

        Args:
            question: What the learner typed (any script, any length; never raises for it).
            language: The learner's language; guessed from the question when None.
            course: Answer only from this course.
            mode: Retrieval mode ("hybrid"; "dense" and "bm25" exist for evaluation).
            languages: Only use content in these languages (evaluation of cross-language help).
            log_gap: Log the question when abstaining.
            depth: How many ranked passages to keep in `Answer.hits` (at least 5).
            prefer_course: Answer from this course when it can (the course the learner is
                taking), else from all the content.
        """
        if prefer_course and not course:
            return self._preferring(question, language, prefer_course, mode, languages, log_gap)
        query = self.retriever.plan(question or "", language or "")
        learner = (language or query.language or "en").split("-")[0]
        if query.empty:
            return Answer(in_language(ASK_SOMETHING, learner), learner, False)
        hits = self.retriever.search(query, Filters(course, languages), mode, max(depth, SCORED))
        scored, texts = self._windows(query, self.retriever.score(query, hits[:SCORED]))
        if not scored or scored[0][1] < self.config.threshold:
            top = scored[0][1] if scored else 0.0
            if log_gap and self.gaps is not None:
                self.gaps.record(query.text, learner, course or "", top)
            dont_know = in_language(DONT_KNOW, learner)
            return Answer(dont_know, learner, False, (), top, tuple(hits), gap=True)
        return self._answer(query, learner, scored, hits, texts)

    def _windows(
        self, query: QueryPlan, hits: list[Hit]
    ) -> tuple[list[tuple[Hit, float]], dict[str, str]]:
        """Each passage's answering sentences, and its confidence rebuilt from how much of
        the question those sentences cover (best first); passages that are all scaffolding
        drop out. A passage swapped for its translation into the learner's language keeps its
        confidence and is shown whole, trimmed: its sentences cannot be matched to a question
        in another language word by word."""
        index, stop = self.retriever.index, self.retriever.glossary.stopwords
        reads = self.retriever.reads(query)
        limit = self.config.max_answer_chars
        keep = {t for g in query.groups for t in g.tokens}
        scored: list[tuple[Hit, float]] = []
        texts: dict[str, str] = {}
        for hit in hits:
            text = display(hit)
            if hit.origin:
                texts[hit.id] = trim(text, limit, keep, stop)
                fit = answer_fit(query.text, texts[hit.id])
                scored.append((hit, (hit.confidence or 0.0) * fit))
                continue
            heading = str(hit.metadata.get("heading") or hit.metadata.get("title") or "")
            window = best_window(query, text, heading, index, stop, limit)
            if window is None:
                continue
            confidence = blend(window.coverage, hit.similarity, reads)
            confidence *= answer_fit(query.text, window.text)
            texts[hit.id] = window.text
            scored.append((hit, confidence))
        return sorted(scored, key=lambda pair: -pair[1]), texts

    def _preferring(
        self,
        question: str,
        language: str | None,
        course: str,
        mode: Mode,
        languages: tuple[str, ...] | None,
        log_gap: bool,
    ) -> Answer:
        """The answer from `course` when it is about as good as the best from all content."""
        best = self.ask(question, language, None, mode, languages, log_gap)
        if not best.confident or (best.citations and best.citations[0].course == course):
            return best
        scoped = self.ask(question, language, course, mode, languages, False)
        if scoped.confident and scoped.confidence >= best.confidence - PREFER_MARGIN:
            return scoped
        return best

    def _answer(
        self,
        query: QueryPlan,
        learner: str,
        scored: list[tuple[Hit, float]],
        hits: list[Hit],
        texts: dict[str, str],
    ) -> Answer:
        chosen, score = scored[0]
        citations = [cite(chosen, score)]
        if chosen.origin:  # the passage found, of which the answer is the translation
            found = self.retriever.store.get([chosen.origin]).get(chosen.origin)
            if found is not None:
                citations.append(cite(Hit(found.id, found.text, found.metadata, 0.0), score))
        limit = max(self.config.top_k, len(citations))
        for hit, other in scored[1:]:
            if len(citations) >= limit:
                break
            if other >= self.config.threshold and hit.id not in {c.chunk_id for c in citations}:
                citations.append(cite(hit, other))
        text = texts.get(chosen.id) or display(chosen)
        language = str(chosen.metadata.get("language") or learner)
        if self.generator is not None:
            context = [chosen] + [h for h, s in scored[1:3] if s >= self.config.threshold]
            generated = self._generate(query.text, context, learner)
            if generated is None:
                return Answer(in_language(DONT_KNOW, learner), learner, False, (), score)
            text, language = generated, learner
        return Answer(text, language, True, tuple(citations), score, tuple(hits))

    def _generate(self, question: str, passages: list[Hit], language: str) -> str | None:
        assert self.generator is not None
        try:
            text = self.generator(question, passages, language)
        except Exception:
            log.exception("LLM generation failed; answering extractively")
            return trim(display(passages[0]), self.config.max_answer_chars, set(), frozenset())
        if not text or is_injection(text):
            return None
        return text.strip()[: self.config.max_answer_chars]
