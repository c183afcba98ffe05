"""Loaders: every supported format, lesson metadata, and bad files named and skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import loaders
from knowledge.chunking import split

from .conftest import CORPUS


def make_pdf(path: Path, text: str) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading("Leave rules", level=1)
    doc.add_paragraph("Earned leave is credited twice a year, in January and July.")
    doc.add_heading("Casual leave", level=2)
    doc.add_paragraph("Casual leave cannot be carried over to the next year.")
    doc.save(str(path))
    return path


def test_lesson_metadata_comes_from_front_matter_course_and_file_name() -> None:
    doc = loaders.load(CORPUS / "cyber-basics/lessons/01-passwords.hi.md")
    assert doc.metadata["course"] == "cyber-basics"
    assert doc.metadata["lesson"] == "01-passwords"
    assert doc.metadata["language"] == "hi"
    assert doc.metadata["lesson_title"] == "मज़बूत पासवर्ड"
    assert not doc.text.startswith("---")
    english = loaders.load(CORPUS / "cyber-basics/lessons/01-passwords.md")
    assert english.metadata["language"] == "en"


def test_plain_markdown_language_from_suffix_and_text_from_script() -> None:
    assert loaders.load(CORPUS / "notes/karmayogi-model.hi.md").metadata["language"] == "hi"
    assert loaders.load(CORPUS / "notes/karmayogi.txt").metadata["language"] == "en"


def test_html_keeps_headings_and_drops_scripts() -> None:
    doc = loaders.load(CORPUS / "notes/igot.html")
    assert "# iGOT Karmayogi" in doc.text
    assert "## Getting started" in doc.text
    assert "ignore me" not in doc.text and "Home | About" not in doc.text


def test_pdf_and_docx(tmp_path: Path) -> None:
    pdf = loaders.load(make_pdf(tmp_path / "circular.pdf", "Office hours are 9 to 5.30."))
    assert "Office hours" in pdf.text and "## Page 1" in pdf.text
    docx = loaders.load(make_docx(tmp_path / "leave.docx"))
    assert "# Leave rules" in docx.text and "## Casual leave" in docx.text
    headings = {c.metadata["heading"] for c in split(docx)}
    assert {"Leave rules", "Casual leave"} <= headings


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\n this is not really a pdf", "PDF"),
        ("empty.md", b"", "empty"),
        ("blank.txt", b"   \n\n ", "no text"),
        ("binary.txt", b"\x00\x01\x02abc", "binary"),
        ("latin1.txt", "café".encode("latin-1"), "UTF-8"),
        ("broken.docx", b"PK not a zip", "DOCX"),
        ("slides.pptx", b"whatever", "unsupported"),
    ],
)
def test_bad_files_are_named_with_a_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(loaders.LoadError) as caught:
        loaders.load(path)
    assert caught.value.path == path.resolve()
    assert reason.lower() in caught.value.reason.lower()


def test_discover_walks_folders_and_reports_unknown_types(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\ntext", encoding="utf-8")
    (tmp_path / "course.yml").write_text("id: x", encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden/b.md").write_text("hidden", encoding="utf-8")
    files, problems = loaders.discover([tmp_path, tmp_path / "missing.md"])
    assert files == [(tmp_path / "a.md").resolve()]
    reasons = {p.path.name: p.reason for p in problems}
    assert "unsupported" in reasons["photo.png"]
    assert "no such file" in reasons["missing.md"]
