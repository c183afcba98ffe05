"""Read files into `Document`s: Markdown (course lessons too), text, HTML, PDF and DOCX.

A file that cannot be read raises `LoadError` naming the file and the reason; `discover`
walks folders and reports unsupported files the same way, so one bad file never stops an
ingest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from core.scripts import language_for_script
from knowledge.documents import Document
from knowledge.plaintext import structure
from knowledge.text import dominant_script

SUPPORTED = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html",
             ".htm": "html", ".pdf": "pdf", ".docx": "docx"}  # fmt: skip
#: Files in content folders that are not knowledge (course metadata, quizzes) or not files.
IGNORED_SUFFIXES = {".yml", ".yaml", ".json", ".gitkeep", ".ds_store"}
MAX_BYTES = 20_000_000
_VARIANT = re.compile(r"^(?P<id>.+?)\.(?P<lang>[a-z]{2,3}(?:-[A-Za-z]{4})?)$")


class LoadError(Exception):
    """A file was skipped: `path` and a one-line `reason`."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def display_path(path: Path) -> str:
    """`path` relative to the working directory when inside it, else absolute (POSIX form)."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[LoadError]]:
    """Files to ingest under `paths` (absolute, sorted) and the ones skipped with a reason."""
    found: set[Path] = set()
    problems: list[LoadError] = []
    for given in paths:
        path = Path(given).expanduser().resolve()
        if path.is_file():
            if path.suffix.lower() in SUPPORTED:
                found.add(path)
            else:
                problems.append(LoadError(path, f"unsupported file type '{path.suffix or '?'}'"))
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    file = Path(root) / name
                    suffix = file.suffix.lower()
                    if name.startswith(".") or suffix in IGNORED_SUFFIXES:
                        continue
                    if suffix in SUPPORTED:
                        found.add(file)
                    else:
                        problems.append(LoadError(file, f"unsupported file type '{suffix or '?'}'"))
        else:
            problems.append(LoadError(path, "no such file or folder"))
    return sorted(found), problems


def load(path: Path) -> Document:
    """Read one file.

    Raises:
        LoadError: for an unsupported type, an empty, oversized, binary or broken file.
    """
    path = Path(path).resolve()
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise LoadError(path, f"unsupported file type '{path.suffix or '?'}'")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise LoadError(path, "empty file")
    if size > MAX_BYTES:
        raise LoadError(path, f"too large ({size // 1_000_000} MB, max {MAX_BYTES // 1_000_000})")
    reader = {"markdown": _markdown, "text": _text, "html": _html, "pdf": _pdf, "docx": _docx}
    text, meta = reader[kind](path)
    text = text.strip()
    if not text:
        raise LoadError(path, "no text in the file")
    meta = {k: str(v) for k, v in meta.items() if v not in (None, "")}
    meta["format"] = kind
    if "language" not in meta:
        meta["language"] = language_for_script(dominant_script(text)) or "en"
    return Document(text=text, path=path, source=display_path(path), metadata=meta)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise LoadError(path, "binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError(path, "not UTF-8 text") from None


def _text(path: Path) -> tuple[str, dict[str, Any]]:
    """Plain text, with its title, section headings and FAQ questions marked as headings."""
    return structure(_read_text(path)), {"title": path.stem}


def _markdown(path: Path) -> tuple[str, dict[str, Any]]:
    raw = _read_text(path)
    try:
        post = frontmatter.loads(raw)
    except (yaml.YAMLError, ValueError) as exc:
        raise LoadError(path, f"bad front matter: {str(exc).splitlines()[0]}") from None
    front = post.metadata
    meta: dict[str, Any] = {"title": front.get("title") or path.stem}
    for key in ("course", "lesson", "language"):
        if front.get(key):
            meta[key] = str(front[key])
    match = _VARIANT.match(path.stem)
    stem_id, stem_lang = (match["id"], match["lang"]) if match else (path.stem, None)
    course = _course_of(path)
    if course is not None:
        meta["course"] = course["id"]
        meta["lesson"] = str(front.get("id") or stem_id)
        language = stem_lang or course["languages"][0]
        meta["language"] = language
        title = course["title"]
        meta["course_title"] = title.get(language) or title.get(course["languages"][0]) or ""
    elif stem_lang and "language" not in meta:
        meta["language"] = stem_lang
    meta["lesson_title"] = meta["title"]
    return post.content, meta


def _course_of(path: Path) -> dict[str, Any] | None:
    """The course a lesson file belongs to (…/<course>/lessons/<lesson>.md), if any."""
    if path.parent.name != "lessons":
        return None
    return _course_yml(path.parent.parent / "course.yml")


@lru_cache(maxsize=256)
def _course_yml(path: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or not data.get("id"):
        return None
    languages = data.get("languages")
    if not isinstance(languages, list) or not languages:
        languages = ["en"]
    title = data.get("title") if isinstance(data.get("title"), dict) else {}
    return {"id": str(data["id"]), "languages": [str(x) for x in languages], "title": title}


def clear_cache() -> None:
    """Forget cached course.yml files (they may have changed since the last ingest)."""
    _course_yml.cache_clear()


def _html(path: Path) -> tuple[str, dict[str, Any]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_text(path), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else path.stem
    blocks: list[str] = []
    body = soup.body or soup
    for element in body.find_all(["h1", "h2", "h3", "h4", "p", "li", "pre", "td", "blockquote"]):
        text = " ".join(element.get_text(" ", strip=True).split())
        if not text or element.find_parent(["p", "li", "td", "blockquote"]):
            continue
        if element.name in ("h1", "h2", "h3", "h4"):
            text = "#" * int(element.name[1]) + " " + text
        elif element.name == "li":
            text = "- " + text
        blocks.append(text)
    if not blocks:
        blocks = [" ".join(body.get_text(" ", strip=True).split())]
    lang = soup.html.get("lang") if soup.html else None
    meta: dict[str, Any] = {"title": title}
    if isinstance(lang, str) and lang:
        meta["language"] = lang.split("-")[0].lower()
    return "\n\n".join(blocks), meta


def _pdf(path: Path) -> tuple[str, dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PdfStreamError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise LoadError(path, "encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata and reader.metadata.title else None
    except LoadError:
        raise
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(path, f"broken PDF ({type(exc).__name__}: {exc})") from None
    if not any(p.strip() for p in pages):
        raise LoadError(path, "no text in the PDF (scanned pages need OCR first)")
    parts = [f"## Page {i}\n\n{text.strip()}" for i, text in enumerate(pages, 1) if text.strip()]
    return "\n\n".join(parts), {"title": title or path.stem}


def _docx(path: Path) -> tuple[str, dict[str, Any]]:
    import zipfile

    from docx import Document as open_docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = open_docx(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(path, f"broken DOCX ({type(exc).__name__})") from None
    blocks: list[str] = []
    for para in doc.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        if style == "Title" or level:
            text = "#" * (int(level[1]) if level else 1) + " " + text
        blocks.append(text)
    for table in doc.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                blocks.append(" | ".join(dict.fromkeys(cells)))
    title = doc.core_properties.title or path.stem
    return "\n\n".join(blocks), {"title": title}
