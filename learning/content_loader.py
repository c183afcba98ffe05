"""Load and validate a content tree (docs/CONTENT.md): all of it, or none of it.

`check(root)` returns every problem found, each naming the file, the field and what is wrong;
`load(root)` returns the `Library` only when there are none, and raises `ContentError` otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from learning.content import (
    COMPETENCY_TYPES,
    Competency,
    Course,
    Lesson,
    LessonText,
    Library,
    Module,
    Option,
    Question,
    Quiz,
)

MAX_PARAGRAPH = 600  # leaves room for the title line: every lesson message ≤ 700
MAX_BODY = 3000
MAX_TITLE = 80
MAX_OPTION = 60
MAX_PROMPT = 300
MAX_EXPLANATION = 400
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_VARIANT = re.compile(r"^(?P<id>.+?)\.(?P<lang>[a-z]{2,3})$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content."""

    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class ContentError(ValueError):
    """The content tree has problems; none of it was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load(root: Path) -> Library:
    """Every course under `root`.

    Raises:
        ContentError: listing every problem, when there is any.
    """
    library, problems = _read(root)
    if problems:
        raise ContentError(problems)
    return library


def check(root: Path) -> list[Problem]:
    """Every problem in the content tree under `root` (empty when it is valid)."""
    return _read(root)[1]


def paragraphs(body: str) -> tuple[str, ...]:
    """Split a lesson body into chat-sized parts at blank lines.

    A heading starts the part after it, shown as a plain first line ("## Appeals" → "Appeals").
    """
    parts: list[str] = []
    heading = ""
    for block in re.split(r"\n\s*\n", body.strip()):
        block = block.strip()
        if not block:
            continue
        if re.fullmatch(r"#{1,6}\s+[^\n]+", block):
            heading = block.lstrip("#").strip()
            continue
        parts.append(f"{heading}\n{block}" if heading else block)
        heading = ""
    if heading:
        parts.append(heading)
    return tuple(parts)


class _Reader:
    """Reads one course folder, collecting problems instead of stopping at the first."""

    def __init__(self, folder: Path, problems: list[Problem]) -> None:
        self.folder = folder
        self.problems = problems
        self.languages: tuple[str, ...] = ()

    def problem(self, path: Path, field: str, message: str) -> None:
        self.problems.append(Problem(path, field, message))

    def yaml_file(self, path: Path) -> dict[str, Any] | None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            self.problem(path, "syntax", str(exc).replace("\n", " "))
            return None
        if not isinstance(data, dict):
            self.problem(path, "(file)", "expected a mapping at the top level")
            return None
        return data

    def ident(self, path: Path, field: str, value: Any) -> str:
        if not isinstance(value, str | int) or not _ID.match(str(value)):
            self.problem(path, field, f"{value!r} is not an id (lowercase letters, digits, -)")
            return "" if value is None else str(value)
        return str(value)

    def texts(self, path: Path, field: str, value: Any, limit: int | None = None) -> dict[str, str]:
        if not isinstance(value, dict):
            self.problem(path, field, "expected a text per language, e.g. {en: ..., hi: ...}")
            return {}
        texts = {str(k): str(v).strip() for k, v in value.items() if v is not None}
        for language in self.languages:
            if not texts.get(language):
                self.problem(path, field, f"missing '{language}' translation")
        for language, text in texts.items():
            if limit and len(text) > limit:
                self.problem(path, f"{field}.{language}", f"{len(text)} characters (max {limit})")
        return texts

    def course(self) -> Course | None:
        path = self.folder / "course.yml"
        data = self.yaml_file(path)
        if data is None:
            return None
        course_id = self.ident(path, "id", data.get("id"))
        langs = data.get("languages")
        if not isinstance(langs, list) or not langs or not all(isinstance(x, str) for x in langs):
            self.problem(path, "languages", "expected a non-empty list such as [en, hi]")
            langs = ["en"]
        self.languages = tuple(langs)
        version = data.get("version", 1)
        if not isinstance(version, int) or version < 1:
            self.problem(path, "version", f"{version!r} is not a positive whole number")
            version = 1
        competencies = []
        for i, item in enumerate(data.get("competencies") or []):
            field = f"competencies[{i}]"
            if not isinstance(item, dict):
                self.problem(path, field, "expected {id, type, name}")
                continue
            if item.get("type") not in COMPETENCY_TYPES:
                self.problem(
                    path,
                    f"{field}.type",
                    f"{item.get('type')!r} is not one of " + ", ".join(COMPETENCY_TYPES),
                )
            competencies.append(
                Competency(
                    self.ident(path, f"{field}.id", item.get("id")),
                    str(item.get("type")),
                    self.texts(path, f"{field}.name", item.get("name")),
                )
            )
        roles = data.get("roles") or ["all"]
        if not isinstance(roles, list):
            self.problem(path, "roles", "expected a list of role keywords, or [all]")
            roles = ["all"]
        if not isinstance(data.get("mandatory", False), bool):
            self.problem(path, "mandatory", "expected true or false")
        lessons = self.lessons()
        modules = self.modules(path, data.get("modules"), lessons)
        return Course(
            id=course_id,
            version=version,
            languages=self.languages,
            title=self.texts(path, "title", data.get("title"), 120),
            summary=self.texts(path, "summary", data.get("summary"), 600),
            competencies=tuple(competencies),
            roles=tuple(str(r) for r in roles),
            mandatory=bool(data.get("mandatory", False)),
            modules=tuple(modules),
            path=self.folder,
        )

    def lessons(self) -> dict[str, Lesson]:
        files: dict[str, dict[str, Path]] = {}
        for path in sorted((self.folder / "lessons").glob("*.md")):
            match = _VARIANT.match(path.stem)
            lesson_id, language = (
                (match["id"], match["lang"]) if match else (path.stem, self.languages[0])
            )
            files.setdefault(lesson_id, {})[language] = path
        lessons = {}
        for lesson_id, variants in files.items():
            lesson = self.lesson(lesson_id, variants)
            if lesson:
                lessons[lesson_id] = lesson
        return lessons

    def lesson(self, lesson_id: str, files: dict[str, Path]) -> Lesson | None:
        base = files.get(self.languages[0])
        if base is None:
            path = next(iter(files.values()))
            self.problem(path, "translation", f"no '{self.languages[0]}' lesson {lesson_id}.md")
            return None
        for language in self.languages:
            if language not in files:
                self.problem(
                    base,
                    "translation",
                    f"missing '{language}' (expected {lesson_id}.{language}.md)",
                )
        variants: dict[str, LessonText] = {}
        meta0: dict[str, Any] = {}
        for language, path in files.items():
            try:
                post = frontmatter.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
                self.problem(path, "front matter", str(exc).replace("\n", " "))
                continue
            meta = post.metadata
            if str(meta.get("id")) != lesson_id:
                self.problem(path, "id", f"{meta.get('id')!r} does not match the file name")
            for key in ("order", "minutes"):
                if not isinstance(meta.get(key), int):
                    self.problem(path, key, f"{meta.get(key)!r} is not a whole number")
            if isinstance(meta.get("minutes"), int) and not 1 <= meta["minutes"] <= 5:
                self.problem(path, "minutes", f"{meta['minutes']} (a lesson takes 1 to 5)")
            if language == self.languages[0]:
                meta0 = dict(meta)
            elif meta0 and any(meta.get(k) != meta0.get(k) for k in ("order", "minutes")):
                self.problem(path, "order/minutes", "differ from the source-language lesson")
            if not str(meta.get("title") or "").strip():
                self.problem(path, "title", "missing")
            elif len(str(meta["title"])) > MAX_TITLE:
                self.problem(
                    path, "title", f"{len(str(meta['title']))} characters (max {MAX_TITLE})"
                )
            self.body(path, post.content)
            variants[language] = LessonText(
                str(meta.get("title") or "").strip(), paragraphs(post.content), path
            )
        if self.languages[0] not in variants:
            return None
        order, minutes = meta0.get("order"), meta0.get("minutes")
        return Lesson(
            lesson_id,
            order if isinstance(order, int) else 0,
            minutes if isinstance(minutes, int) else 2,
            variants,
        )

    def body(self, path: Path, body: str) -> None:
        if not body.strip():
            self.problem(path, "body", "empty")
        if len(body.strip()) > MAX_BODY:
            self.problem(path, "body", f"{len(body.strip())} characters (max {MAX_BODY})")
        for i, part in enumerate(paragraphs(body), 1):
            if len(part) > MAX_PARAGRAPH:
                self.problem(
                    path, f"paragraph {i}", f"{len(part)} characters (max {MAX_PARAGRAPH})"
                )

    def modules(self, path: Path, value: Any, lessons: dict[str, Lesson]) -> list[Module]:
        if not isinstance(value, list) or not value:
            self.problem(path, "modules", "expected a non-empty list of modules")
            return []
        modules, used, question_ids = [], set[str](), set[str]()
        for i, item in enumerate(value):
            field = f"modules[{i}]"
            if not isinstance(item, dict):
                self.problem(path, field, "expected {id, title, lessons, quiz}")
                continue
            module_id = self.ident(path, f"{field}.id", item.get("id"))
            listed = item.get("lessons")
            if not isinstance(listed, list) or not listed:
                self.problem(path, f"{field}.lessons", "expected a non-empty list of lesson ids")
                listed = []
            module_lessons = []
            for lesson_id in map(str, listed):
                if lesson_id in used:
                    self.problem(path, f"{field}.lessons", f"duplicate lesson id {lesson_id!r}")
                used.add(lesson_id)
                if lesson_id not in lessons:
                    self.problem(path, f"{field}.lessons", f"no lesson file lessons/{lesson_id}.md")
                else:
                    module_lessons.append(lessons[lesson_id])
            quiz_id = self.ident(path, f"{field}.quiz", item.get("quiz"))
            quiz = self.quiz(quiz_id, {x.id for x in module_lessons}, question_ids)
            if quiz:
                modules.append(
                    Module(
                        module_id,
                        self.texts(path, f"{field}.title", item.get("title"), 120),
                        tuple(module_lessons),
                        quiz,
                    )
                )
        if len({m.id for m in modules}) != len(modules):
            self.problem(path, "modules", "duplicate module ids")
        for lesson_id in sorted(set(lessons) - used):
            self.problem(
                lessons[lesson_id].variants[self.languages[0]].path,
                "id",
                "the lesson is in no module",
            )
        return modules

    def quiz(self, quiz_id: str, lesson_ids: set[str], seen: set[str]) -> Quiz | None:
        path = self.folder / "quizzes" / f"{quiz_id}.yml"
        if not path.is_file():
            self.problem(self.folder / "course.yml", "quiz", f"no quiz file quizzes/{quiz_id}.yml")
            return None
        data = self.yaml_file(path)
        if data is None:
            return None
        if str(data.get("id")) != quiz_id:
            self.problem(path, "id", f"{data.get('id')!r} does not match the file name")
        items = data.get("questions")
        if not isinstance(items, list) or not items:
            self.problem(path, "questions", "expected a non-empty list")
            return None
        questions = [
            self.question(path, f"questions[{i}]", q, lesson_ids, seen) for i, q in enumerate(items)
        ]
        return Quiz(quiz_id, tuple(q for q in questions if q))

    def question(
        self, path: Path, field: str, item: Any, lesson_ids: set[str], seen: set[str]
    ) -> Question | None:
        if not isinstance(item, dict):
            self.problem(path, field, "expected {id, lesson, prompt, options, answer, explanation}")
            return None
        question_id = self.ident(path, f"{field}.id", item.get("id"))
        if question_id in seen:
            self.problem(path, f"{field}.id", f"duplicate question id {question_id!r}")
        seen.add(question_id)
        if str(item.get("lesson")) not in lesson_ids:
            self.problem(path, f"{field}.lesson", f"{item.get('lesson')!r} is not in this module")
        raw = item.get("options")
        if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
            self.problem(path, f"{field}.options", "expected 2 to 4 options")
            raw = raw if isinstance(raw, list) else []
        options = []
        for j, opt in enumerate(raw):
            if not isinstance(opt, dict):
                self.problem(path, f"{field}.options[{j}]", "expected {id, text}")
                continue
            options.append(
                Option(
                    str(opt.get("id")),
                    self.texts(path, f"{field}.options[{j}].text", opt.get("text"), MAX_OPTION),
                )
            )
        ids = [o.id for o in options]
        if len(set(ids)) != len(ids):
            self.problem(path, f"{field}.options", "duplicate option ids")
        answer = str(item.get("answer"))
        if answer not in ids:
            self.problem(
                path, f"{field}.answer", f"{answer!r} is not one of the options {', '.join(ids)}"
            )
        return Question(
            question_id,
            str(item.get("lesson")),
            self.texts(path, f"{field}.prompt", item.get("prompt"), MAX_PROMPT),
            tuple(options),
            answer,
            self.texts(path, f"{field}.explanation", item.get("explanation"), MAX_EXPLANATION),
        )


def _read(root: Path) -> tuple[Library, list[Problem]]:
    problems: list[Problem] = []
    root = Path(root)
    if not root.is_dir():
        return Library(), [Problem(root, "(folder)", "not a directory")]
    folders = sorted(p.parent for p in root.glob("*/course.yml"))
    if (root / "course.yml").is_file():
        folders = [root]
    if not folders:
        problems.append(Problem(root, "(folder)", "no course folders (*/course.yml)"))
    courses: dict[str, Course] = {}
    for folder in folders:
        course = _Reader(folder, problems).course()
        if course is None:
            continue
        if course.id in courses:
            problems.append(
                Problem(folder / "course.yml", "id", f"duplicate course id {course.id!r}")
            )
        courses[course.id] = course
    return Library(courses), problems
