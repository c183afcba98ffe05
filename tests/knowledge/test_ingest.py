"""Ingest: incremental (add, change, delete), bad files skipped and named, self-healing."""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import MakeKB


def lesson_chunks(kb, path: Path) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.id for r in kb.store.scan() if r.metadata["path"] == path.resolve().as_posix()}


def test_reingest_skips_unchanged_replaces_changed_removes_deleted(
    make_kb: MakeKB, corpus_copy: Path
) -> None:
    kb = make_kb()
    first = kb.ingest([corpus_copy], progress=False)
    assert (first.files, first.unchanged, first.removed, first.skipped) == (8, 0, 0, [])
    total = kb.store.count()
    assert first.chunks == total > 0

    again = kb.ingest([corpus_copy], progress=False)
    assert (again.files, again.chunks, again.unchanged) == (0, 0, 8)
    assert kb.store.count() == total

    lesson = corpus_copy / "rti-basics/lessons/01-requests.md"
    before = lesson_chunks(kb, lesson)
    lesson.write_text(
        lesson.read_text(encoding="utf-8").replace("within 30 days", "within thirty days"),
        encoding="utf-8",
    )
    changed = kb.ingest([corpus_copy], progress=False)
    assert (changed.files, changed.unchanged) == (1, 7)
    after = lesson_chunks(kb, lesson)
    assert after != before and len(after) == len(before)
    assert kb.store.count() == total
    assert "thirty days" in kb.ask("How many days does the officer have to reply?").text

    (corpus_copy / "notes/igot.html").unlink()
    deleted = kb.ingest([corpus_copy], progress=False)
    assert (deleted.files, deleted.removed) == (0, 1)
    assert not any("igot.html" in r.metadata["source"] for r in kb.store.scan())


def test_bad_files_are_skipped_by_name_and_the_rest_ingests(
    make_kb: MakeKB, corpus_copy: Path
) -> None:
    (corpus_copy / "notes/broken.pdf").write_bytes(b"%PDF-1.7 truncated")
    (corpus_copy / "notes/empty.txt").write_bytes(b"")
    (corpus_copy / "notes/deck.pptx").write_bytes(b"PK")
    report = make_kb().ingest([corpus_copy], progress=False)
    assert report.files == 8
    skipped = {e.path.name: e.reason for e in report.skipped}
    assert set(skipped) == {"broken.pdf", "empty.txt", "deck.pptx"}
    assert "summary" not in skipped and "8 files" in report.summary()


def test_a_file_that_turns_bad_loses_its_chunks(make_kb: MakeKB, corpus_copy: Path) -> None:
    kb = make_kb()
    kb.ingest([corpus_copy], progress=False)
    note = corpus_copy / "notes/karmayogi.txt"
    note.write_text("", encoding="utf-8")
    report = kb.ingest([corpus_copy], progress=False)
    assert [e.path.name for e in report.skipped] == ["karmayogi.txt"]
    assert report.removed == 1
    assert not lesson_chunks(kb, note)


def test_a_wiped_store_heals_on_the_next_ingest(make_kb: MakeKB, corpus_copy: Path) -> None:
    kb = make_kb()
    kb.ingest([corpus_copy], progress=False)
    total = kb.store.count()
    kb.store.delete(sorted(kb.store.ids())[:3])
    report = kb.ingest([corpus_copy], progress=False)
    assert report.files >= 1
    assert kb.store.count() == total


def test_ingesting_one_folder_leaves_other_folders_alone(
    make_kb: MakeKB, corpus_copy: Path, tmp_path: Path
) -> None:
    kb = make_kb()
    other = tmp_path / "other"
    other.mkdir()
    (other / "memo.txt").write_text("The canteen opens at 8 am.", encoding="utf-8")
    kb.ingest([corpus_copy, other], progress=False)
    shutil.rmtree(corpus_copy / "notes")
    report = kb.ingest([corpus_copy], progress=False)
    assert report.removed == 3
    assert any("memo.txt" in r.metadata["source"] for r in kb.store.scan())


def test_changing_the_model_reembeds_everything(make_kb: MakeKB, corpus_copy: Path) -> None:
    kb = make_kb()
    kb.ingest([corpus_copy / "notes"], progress=False)
    other = make_kb(model_name=kb.embedder.config.model_path)
    report = other.ingest([corpus_copy / "notes"], progress=False)
    assert report.files == 3
