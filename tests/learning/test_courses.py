"""Recommendations: unfinished first, then mandatory, role-specific and missing competencies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from learning.content import Competency, Library
from learning.content_loader import load
from learning.courses import LearnerView, page, recommend

DEMO = load(Path(__file__).parents[1] / "fixtures" / "content").courses["demo"]


def library() -> Library:
    pio = replace(
        DEMO,
        id="rti",
        mandatory=False,
        roles=("pio", "section officer"),
        competencies=(Competency("rti", "functional", {"en": "RTI"}),),
    )
    elective = replace(DEMO, id="elective", mandatory=False, competencies=())
    done = replace(DEMO, id="done", mandatory=True)
    return Library({c.id: c for c in (DEMO, pio, elective, done)})


def test_unfinished_then_mandatory_then_role_then_the_rest() -> None:
    lib = library()
    officer = LearnerView(
        "Public Information Officer (PIO)", enrolled={"elective", "done"}, completed={"done"}
    )
    assert [c.id for c in recommend(lib, officer, limit=4)] == ["elective", "demo", "rti"]
    clerk = LearnerView("Clerk", enrolled=(), completed=())
    assert [c.id for c in recommend(lib, clerk, limit=4)] == ["demo", "done", "elective"]


def test_pages_are_clamped_and_mandatory_courses_come_first() -> None:
    courses, number, pages = page(library(), 9, size=3)
    assert (number, pages) == (2, 2) and len(courses) == 1
    first, _, _ = page(library(), 1, size=3)
    assert [c.mandatory for c in first] == [True, True, False]
