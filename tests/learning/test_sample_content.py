"""The sample content that ships in content/ is valid and as large as promised."""

from __future__ import annotations

from core.i18n import get_catalog
from core.settings import PROJECT_ROOT
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
    catalog = get_catalog()
    for course in library:
        for lesson in course.lessons():
            for language, text in lesson.variants.items():
                for number, part in enumerate(text.paragraphs, 1):
                    message = catalog.render(
                        "utter_lesson_part",
                        language,
                        title=text.title,
                        body=part,
                        part=number,
                        parts=len(text.paragraphs),
                        step="x",
                    )["text"]
                    assert len(message) <= 700, (text.path, number)
