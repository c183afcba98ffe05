"""Course certificates as PDF documents, in the learner's language, verifiable by anyone.

Every script prints as written. Each line is set in the font of its main script
(learning/fonts.py) with HarfBuzz text shaping (conjuncts, vowel signs, reph); letters of other
scripts fall back to their own fonts. Each line is also marked with the text it shows (PDF
/ActualText), so copying or extracting it gives the name as typed rather than the glyphs in
their visual order. Only a script no installed font covers is romanized (with a warning).

A QR code and the printed link lead to the certificate's public verification page
(connectors/certificate_page.py), under the public URL the composition root hands in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import segno
from fpdf import FPDF
from indic_transliteration import sanscript

from core.scripts import detect_script, script_of, to_latin
from learning.certificate_text import (
    LOCAL_URL,
    CertificateText,
    certificate_text,
    issue_date,
    verify_url,
)
from learning.fonts import Fonts, default_fonts
from learning.records import Certificate
from learning.schedule import learner_zone

LATIN = "Latn"
_SCHEMES = {"Taml": sanscript.TAMIL, "Beng": sanscript.BENGALI, "Telu": sanscript.TELUGU,
            "Knda": sanscript.KANNADA, "Mlym": sanscript.MALAYALAM, "Gujr": sanscript.GUJARATI,
            "Guru": sanscript.GURMUKHI, "Orya": sanscript.ORIYA}  # fmt: skip
_WIDTH, _LEFT = 237.0, 30.0  # the text column (A4 landscape, mm)
_INK, _ACCENT = (20, 20, 20), (16, 52, 110)


def romanize(text: str, script: str) -> str:
    """`text` with its letters of `script` in Latin letters (for a script no font covers)."""
    if script == "Deva":
        return to_latin(text, "hi")
    if script in _SCHEMES:
        return sanscript.transliterate(text, _SCHEMES[script], sanscript.IAST)
    return text


class _Sheet(FPDF):
    """One certificate page that sets each line in the font of its script."""

    def __init__(self, fonts: Fonts, texts: Sequence[str]) -> None:
        super().__init__(orientation="L", format="A4")
        self.set_auto_page_break(False)
        self.romanized: set[str] = set()
        self.families: list[str] = []
        scripts = {script_of(c) for text in texts for c in text} | {LATIN}
        for script in sorted(s for s in scripts if s is not None):
            face = fonts.face(script)
            if face is None:
                self.romanized.add(script)
                continue
            family = script.lower()
            self.add_font(family, "", face.regular)
            self.add_font(family, "B", face.bold)
            self.families.append(family)
        if LATIN.lower() not in self.families:
            raise RuntimeError("the Latin font (fontpkg-noto-sans) is missing: run make setup")
        self.set_text_shaping(True)

    def printable(self, text: str) -> str:
        """`text`, romanized where its script has no font."""
        for script in self.romanized:
            text = romanize(text, script)
        return text

    @contextmanager
    def _actual_text(self, text: str) -> Iterator[None]:
        # fpdf2 has no public API for marked content with /ActualText (PDF 1.7, 14.9.4).
        utf16 = ("\ufeff" + text).encode("utf-16-be").hex().upper()
        self._out(f"/Span <</ActualText <{utf16}>>> BDC")
        yield
        self._out("EMC")

    def paragraph(
        self, text: str, size: float, *, bold: bool = False, gap: float = 0.0,
        fit_lines: int = 0, link: str = "", x: float = _LEFT, width: float = _WIDTH,
        align: str = "C",
    ) -> None:  # fmt: skip
        """Write one paragraph, centred in the text column by default.

        Args:
            fit_lines: When set, shrink the type until the text fits in that many lines.
        """
        text = self.printable(text)
        script = detect_script(text)
        family = script.lower() if script and script.lower() in self.families else "latn"
        self.set_fallback_fonts([f for f in self.families if f != family])
        style = "B" if bold else ""
        self.set_font(family, style, size)
        while fit_lines and size > 11 and self.get_string_width(text) > width * fit_lines * 0.92:
            size -= 1
            self.set_font(family, style, size)
        self.set_x(x)
        with self._actual_text(text):
            self.multi_cell(width, size * 0.5, text, align=align, link=link)
        if gap:
            self.ln(gap)

    def qr(self, data: str, x: float, y: float, size: float) -> None:
        """A QR code of `data`, drawn as vector squares (runs of dark modules per row)."""
        matrix = segno.make(data, error="m", micro=False).matrix
        module = size / len(matrix)
        self.set_fill_color(0, 0, 0)
        for row, cells in enumerate(matrix):
            start = None
            for col, dark in enumerate([*cells, 0]):
                if dark and start is None:
                    start = col
                elif not dark and start is not None:
                    left, top = x + start * module, y + row * module
                    self.rect(left, top, (col - start) * module + 0.01, module + 0.01, "F")
                    start = None


def render_pdf(
    certificate: Certificate, public_url: str = LOCAL_URL, *, fonts: Fonts | None = None
) -> bytes:
    """A one-page A4 landscape certificate in the learner's language.

    It names the learner and the course as given, the date, the verification code, and a QR
    code and link to the public verification page.

    Args:
        certificate: The issued certificate.
        public_url: The gateway's public address (settings: KARMABOT_PUBLIC_URL).
        fonts: Where fonts are found (default: the process-wide finder).
    """
    words: CertificateText = certificate_text(certificate.language, certificate.script)
    url = verify_url(public_url, certificate.code)
    date = issue_date(certificate.issued_at, words.language, learner_zone(certificate.timezone))
    lines = {
        "title": words.text("title"),
        "intro": words.text("intro"),
        "middle": words.text("middle"),
        "closing": words.text("closing", date=date),
        "code": words.text("code", code=certificate.code),
        "check": words.text("check"),
    }
    texts = [*lines.values(), certificate.learner_name, certificate.course_title, url]
    pdf = _Sheet(fonts or default_fonts(), texts)
    pdf.set_title(f"{lines['title']}: {certificate.code}")
    pdf.set_author("Karmabot")
    pdf.set_lang(words.language.split("-")[0])
    pdf.add_page()
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.3)
    pdf.rect(13.5, 13.5, 270, 183)
    pdf.set_y(30)
    pdf.set_text_color(*_ACCENT)
    pdf.paragraph(lines["title"], 30, bold=True, gap=10)
    pdf.set_text_color(*_INK)
    pdf.paragraph(lines["intro"], 14, gap=4)
    pdf.paragraph(certificate.learner_name, 28, bold=True, gap=4, fit_lines=2)
    pdf.paragraph(lines["middle"], 14, gap=4)
    pdf.paragraph(certificate.course_title, 22, bold=True, gap=6, fit_lines=2)
    pdf.paragraph(lines["closing"], 13)
    top = min(max(150.0, pdf.get_y() + 5), 157.0)  # the footer: QR code, code and link
    pdf.qr(url, 24, top, 36)
    pdf.set_y(top + 3)
    pdf.paragraph(lines["code"], 13, bold=True, gap=2, x=68, width=205, align="L")
    pdf.paragraph(lines["check"], 10, gap=1, x=68, width=205, align="L")
    pdf.set_text_color(*_ACCENT)
    pdf.paragraph(url, 10, link=url, x=68, width=205, align="L")
    return bytes(pdf.output())
