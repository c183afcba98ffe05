"""The content checker names the file, field and problem, and loads nothing from bad content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from learning.content_loader import ContentError, check, load

FIXTURE = Path(__file__).parents[1] / "fixtures" / "content"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "content")
    return tmp_path / "content"


def problems(root: Path) -> list[str]:
    return [f"{p.path.relative_to(root)}: {p.field}: {p.message}" for p in check(root)]


def test_the_fixture_is_valid(tree: Path) -> None:
    assert problems(tree) == []
    course = load(tree).courses["demo"]
    assert [len(m.lessons) for m in course.modules] == [2, 1]
    assert course.lesson("l1").text("ta", "en").title == "Lesson 1"  # type: ignore[union-attr]


def test_a_missing_translation_is_named(tree: Path) -> None:
    (tree / "demo" / "lessons" / "l2.hi.md").unlink()
    assert problems(tree) == ["demo/lessons/l2.md: translation: missing 'hi' (expected l2.hi.md)"]


def test_a_quiz_answer_not_among_the_options(tree: Path) -> None:
    quiz = tree / "demo" / "quizzes" / "q2.yml"
    quiz.write_text(quiz.read_text().replace("answer: y", "answer: z"))
    assert problems(tree) == [
        "demo/quizzes/q2.yml: questions[0].answer: 'z' is not one of the options y, n"
    ]


def test_duplicate_ids_and_oversized_lessons(tree: Path) -> None:
    shutil.copytree(tree / "demo", tree / "demo-copy")
    lesson = tree / "demo" / "lessons" / "l3.md"
    lesson.write_text(lesson.read_text() + "\n\n" + "x" * 800 + "\n")
    quiz = tree / "demo" / "quizzes" / "q2.yml"
    quiz.write_text(quiz.read_text().replace("id: q2a", "id: q1a"))
    found = problems(tree)
    assert "demo-copy/course.yml: id: duplicate course id 'demo'" in found
    assert "demo/lessons/l3.md: paragraph 3: 800 characters (max 600)" in found
    assert "demo/quizzes/q2.yml: questions[0].id: duplicate question id 'q1a'" in found


def test_bad_content_loads_nothing(tree: Path) -> None:
    (tree / "demo" / "course.yml").write_text("id: demo\nlanguages: [en, hi\n")
    with pytest.raises(ContentError) as caught:
        load(tree)
    assert "demo/course.yml: syntax:" in str(caught.value)
