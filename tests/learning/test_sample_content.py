"""The sample content that ships in content/ is valid and as large as promised."""

from __future__ import annotations

from bot.settings import PROJECT_ROOT
from learning.content_loader import check, load

CONTENT = PROJECT_ROOT / "content"


def test_the_sample_content_is_valid_and_complete() -> None:
    assert [str(p) for p in check(CONTENT)] == []
    library = load(CONTENT)
    assert len(library) >= 3
    assert sum(len(c.lessons()) for c in library) >= 15
    assert sum(len(m.quiz.questions) for c in library for m in c.modules) >= 30
    assert all({"en", "hi"} <= set(c.languages) for c in library)
    assert any({"ta", "bn"} <= set(c.languages) for c in library)
    for course in library:
        for lesson in course.lessons():
            for text in lesson.variants.values():
                assert all(len(part) <= 700 for part in text.paragraphs), text.path
