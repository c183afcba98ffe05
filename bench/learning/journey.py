"""A whole course through the real stack (gateway, Rasa, action server): time per turn.

Learners take the first course of the content tree from enrollment to certificate, one after
another, answering every question right. Baseline, in the same run: the "help" turn, which
Rasa answers from a rule with a canned response and no course logic.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.turns.systems import karmabot
from learning.content import Course
from learning.content_loader import load


@dataclass(frozen=True)
class TurnFigures:
    """Latency of one kind of turn, in milliseconds."""

    kind: str
    count: int
    p50: float
    p95: float


def _answers(course: Course) -> dict[str, str]:
    """Right option id by question prompt (in the course's first language)."""
    lang = course.source_language
    return {q.prompt[lang]: q.answer for m in course.modules for q in m.quiz.questions}


def _say(
    client: httpx.Client, url: str, user: str, text: str
) -> tuple[list[dict[str, Any]], float]:
    started = time.perf_counter()
    reply = client.post(url, json={"user": user, "text": text}, timeout=60)
    elapsed = (time.perf_counter() - started) * 1000
    reply.raise_for_status()
    return reply.json()["messages"], elapsed


def _next_input(messages: list[dict[str, Any]], answers: dict[str, str]) -> tuple[str, str]:
    text = "\n".join(m.get("text", "") for m in messages)
    for prompt, option in answers.items():
        if prompt in text:
            for button in (b for m in messages for b in m.get("buttons", [])):
                payload = button["payload"]
                if (
                    payload.startswith("/answer_quiz")
                    and json.loads(payload[payload.index("{") :])["option"] == option
                ):
                    return "answer", payload
    return "next", "next"


def _payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons", [])]


def one_learner(client: httpx.Client, url: str, course: Course) -> dict[str, list[float]]:
    """Take the course from enrollment to certificate; latency per turn kind."""
    user, answers = f"journey-{uuid.uuid4().hex[:10]}", _answers(course)
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(5):
        times["help (baseline)"].append(_say(client, url, user, "/help")[1])
    messages, elapsed = _say(client, url, user, f'/enroll_course{{"course":"{course.id}"}}')
    times["enroll"].append(elapsed)
    for _ in range(400):
        offered = [p for p in _payloads(messages) if p.startswith("/change_name")]
        if offered:  # a new API learner has no name yet: give one, and the certificate follows
            messages, elapsed = _say(client, url, user, offered[0])
            times["name"].append(elapsed)
            messages, elapsed = _say(client, url, user, "Bench Learner")
            times["certificate"].append(elapsed)
            if not any("document" in m.get("custom", {}) for m in messages):
                raise RuntimeError("no certificate after giving a name")
            return times
        kind, text = _next_input(messages, answers)
        messages, elapsed = _say(client, url, user, text)
        done = any("document" in m.get("custom", {}) for m in messages)
        completed = any(p.startswith("/change_name") for p in _payloads(messages))
        times["certificate" if done else "course complete" if completed else kind].append(elapsed)
        if done:
            return times
    raise RuntimeError("the course did not complete within 400 turns")


def measure(content: Path, learners: int, run_dir: Path) -> tuple[Course, list[TurnFigures]]:
    """Start the embedded stack on `content` and run `learners` through its first course."""
    course = next(iter(load(content)))
    # One learner takes the course as fast as the stack answers: far over the per-learner flood
    # guard (a policy for people, not a cost), which is raised for the run.
    system = karmabot("embedded", run_dir, "", 1, content_dir=content, flood_limit="100000/second")
    system.stack.start(progress=False)
    try:
        times: dict[str, list[float]] = defaultdict(list)
        url = system.chat_api
        with httpx.Client() as client:
            one_learner(client, url, course)  # warm-up: caches, first SQLite pages
            for _ in range(learners):
                for kind, values in one_learner(client, url, course).items():
                    times[kind].extend(values)
    finally:
        system.stack.stop()
    figures = [
        TurnFigures(
            k,
            len(v),
            statistics.median(v),
            statistics.quantiles(v, n=20)[-1] if len(v) > 1 else v[0],
        )
        for k, v in times.items()
    ]
    return course, figures


def table(course: Course, figures: list[TurnFigures], learners: int) -> list[str]:
    """Markdown lines for docs/PERFORMANCE.md."""
    lessons = len(course.lessons())
    questions = sum(len(m.quiz.questions) for m in course.modules)
    base = next((f.p50 for f in figures if f.kind.startswith("help")), 0.0)
    title = course.title[course.source_language]
    lines = [
        f"{learners} learners, one after another, each take “{title}”"
        f" ({lessons} lessons, {questions} questions) from enrollment to certificate through "
        "`POST /chat/api` on the embedded profile (SQLite), answering every question right.",
        "",
        "| Turn | Turns | p50 | p95 | p50 vs baseline |",
        "|---|---|---|---|---|",
    ]
    for f in sorted(figures, key=lambda f: (not f.kind.startswith("help"), f.kind)):
        ratio = f"{f.p50 / base:.2f}×" if base else "–"
        lines.append(f"| {f.kind} | {f.count} | {f.p50:.0f} ms | {f.p95:.0f} ms | {ratio} |")
    return lines
