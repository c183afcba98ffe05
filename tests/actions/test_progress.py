"""Progress through the real course engine, on a fixture course and a SQLite learner store."""

from __future__ import annotations

from actions.courses import ActionEnrollCourse
from actions.lesson import ActionNextStep
from actions.progress import ActionShowProgress
from actions.services import ActionServices
from learning.repository import SqlLearnerRepository
from tests.actions.helpers import rendered, run, tracker


async def test_progress_of_a_new_learner_is_empty_with_zero_points(
    store: SqlLearnerRepository, real: ActionServices
) -> None:
    learner = store.get_or_create("web", "p")
    messages, _ = await run(ActionShowProgress(real), tracker(learner.id))
    assert messages[0]["text"] == rendered("utter_progress_empty", points=0)


async def test_enroll_by_button_then_next_then_progress(
    store: SqlLearnerRepository, real: ActionServices
) -> None:
    learner = store.get_or_create("web", "q")
    course = [{"entity": "course", "value": "demo"}]
    messages, _ = await run(ActionEnrollCourse(real), tracker(learner.id, entities=course))
    assert "Demo course" in messages[0]["text"] and "Lesson 1, part one." in messages[1]["text"]
    assert [b["title"] for b in messages[1]["buttons"]] == ["Next ▶", "Repeat"]
    step = [{"entity": "step", "value": "demo/l1/0"}]
    await run(ActionNextStep(real), tracker(learner.id, entities=step))
    done, _ = await run(ActionNextStep(real), tracker(learner.id))
    assert done[0]["text"] == rendered("utter_lesson_done", title="Lesson 1", points=10)
    store.set_language(learner.id, "hi")
    progress, _ = await run(ActionShowProgress(real), tracker(learner.id, slots={"language": "hi"}))
    assert "डेमो कोर्स: 1/3 · – · 20%" in progress[0]["text"]
    assert progress[0]["text"].endswith("कर्मा पॉइंट्स: 10")
