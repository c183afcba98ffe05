"""The course catalog as plain values: courses, modules, micro-lessons, quizzes, competencies.

Content is authored as files (docs/CONTENT.md) and loaded by `learning.content_loader`; the
rest of Karmabot reads it only through these frozen dataclasses and `Library`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

COMPETENCY_TYPES = ("behavioural", "functional", "domain")

#: A text in several languages: {"en": "...", "hi": "..."}.
Texts = Mapping[str, str]


def pick(texts: Texts, language: str, fallback: str) -> str:
    """The text in `language`, else in `fallback` (the course's first language)."""
    return texts.get(language) or texts[fallback]


@dataclass(frozen=True)
class Competency:
    """A competency a course builds, tagged as in iGOT's framework."""

    id: str
    type: str
    name: Texts


@dataclass(frozen=True)
class LessonText:
    """One language's version of a lesson."""

    title: str
    paragraphs: tuple[str, ...]
    path: Path


@dataclass(frozen=True)
class Lesson:
    """A micro-lesson of about two minutes."""

    id: str
    order: int
    minutes: int
    variants: Mapping[str, LessonText]

    def text(self, language: str, fallback: str) -> LessonText:
        """The lesson in `language`, else in the course's first language."""
        return self.variants.get(language) or self.variants[fallback]


@dataclass(frozen=True)
class Option:
    """One answer option of a quiz question."""

    id: str
    text: Texts


@dataclass(frozen=True)
class Question:
    """A multiple-choice question testing one lesson."""

    id: str
    lesson_id: str
    prompt: Texts
    options: tuple[Option, ...]
    answer: str
    explanation: Texts

    def option(self, option_id: str) -> Option | None:
        """The option with that id, if any."""
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Quiz:
    """The quiz that closes a module."""

    id: str
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        """The question with that id, if any."""
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Module:
    """An ordered group of lessons closed by a quiz."""

    id: str
    title: Texts
    lessons: tuple[Lesson, ...]
    quiz: Quiz


@dataclass(frozen=True)
class Course:
    """A course: modules of micro-lessons and quizzes, in one or more languages."""

    id: str
    version: int
    languages: tuple[str, ...]
    title: Texts
    summary: Texts
    competencies: tuple[Competency, ...]
    roles: tuple[str, ...]
    mandatory: bool
    modules: tuple[Module, ...]
    path: Path

    @property
    def source_language(self) -> str:
        """The language the course was written in (its first declared language)."""
        return self.languages[0]

    def language_for(self, language: str) -> str:
        """The language to teach a learner who prefers `language`."""
        return language if language in self.languages else self.source_language

    def lessons(self) -> list[Lesson]:
        """Every lesson, in course order."""
        return [lesson for module in self.modules for lesson in module.lessons]

    def lesson(self, lesson_id: str) -> Lesson | None:
        """The lesson with that id, if any."""
        return next((x for x in self.lessons() if x.id == lesson_id), None)

    def module_of(self, lesson_id: str) -> Module | None:
        """The module holding a lesson, if any."""
        return next((m for m in self.modules if any(x.id == lesson_id for x in m.lessons)), None)

    def quiz(self, quiz_id: str) -> Quiz | None:
        """The module quiz with that id, if any."""
        return next((m.quiz for m in self.modules if m.quiz.id == quiz_id), None)

    def module_for_quiz(self, quiz_id: str) -> Module | None:
        """The module a quiz closes, if any."""
        return next((m for m in self.modules if m.quiz.id == quiz_id), None)

    def suits(self, role: str | None) -> bool:
        """Whether the course suits a learner with `role` (every course suits `all`)."""
        if "all" in self.roles:
            return True
        return bool(role) and any(r.lower() in (role or "").lower() for r in self.roles)


@dataclass(frozen=True)
class Library:
    """Every course loaded from a content tree, by id, in a stable order."""

    courses: Mapping[str, Course] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Course]:
        return iter(self.courses.values())

    def __len__(self) -> int:
        return len(self.courses)

    def get(self, course_id: str) -> Course | None:
        """The course with that id, if any."""
        return self.courses.get(course_id)
