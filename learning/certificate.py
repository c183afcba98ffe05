"""Course certificates as PDF documents, checked by their verification code."""

from __future__ import annotations

import unicodedata

from fpdf import FPDF
from indic_transliteration import sanscript

from core.scripts import detect_script, to_latin
from learning.records import Certificate

#: The built-in PDF fonts cover Latin-1 only; names in other scripts are romanized.
_LATIN_1 = "latin-1"
_SCHEMES = {"Taml": sanscript.TAMIL, "Beng": sanscript.BENGALI, "Telu": sanscript.TELUGU,
            "Knda": sanscript.KANNADA, "Mlym": sanscript.MALAYALAM, "Gujr": sanscript.GUJARATI,
            "Guru": sanscript.GURMUKHI, "Orya": sanscript.ORIYA}  # fmt: skip


def _printable(text: str) -> str:
    """`text` in characters the built-in fonts can show (Indic scripts romanized)."""
    script = detect_script(text)
    if script == "Deva":
        text = to_latin(text, "hi")
    elif script in _SCHEMES:
        text = sanscript.transliterate(text, _SCHEMES[script], sanscript.IAST)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.encode(_LATIN_1, "replace").decode(_LATIN_1)


def render_pdf(certificate: Certificate, verify_url: str = "") -> bytes:
    """A one-page A4 landscape certificate: learner, course, date and verification code."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(f"Certificate {certificate.code}")
    pdf.set_author("Karmabot")
    pdf.add_page()
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_font("Helvetica", "B", 30)
    pdf.set_y(35)
    pdf.cell(0, 14, "Certificate of Completion", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 15)
    pdf.ln(8)
    pdf.cell(0, 10, "This is to certify that", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 14, _printable(certificate.learner_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 15)
    pdf.cell(0, 10, "has completed the course", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(0, 12, _printable(certificate.course_title), align="C")
    pdf.set_font("Helvetica", "", 13)
    pdf.ln(6)
    issued = certificate.issued_at.strftime("%d %B %Y")
    pdf.cell(
        0,
        8,
        f"on {issued}, through Karmabot (Mission Karmayogi learning companion).",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(10)
    pdf.set_font("Courier", "B", 14)
    pdf.cell(
        0, 8, f"Verification code: {certificate.code}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 11)
    hint = (
        f"Check it at {verify_url}" if verify_url else "Check it with: karmabot certificate verify"
    )
    pdf.cell(0, 8, hint + f" {certificate.code}", align="C")
    return bytes(pdf.output())
