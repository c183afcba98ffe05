"""Certificates print every script as given, with embedded fonts and a QR code that verifies.

The text layer is read with poppler's pdftotext, not pypdf: shaped Indic text draws some
glyphs out of logical order (a pre-base vowel sign before its consonant) and each line carries
its logical text as PDF /ActualText, which poppler honours and pypdf ignores (pypdf returns the
glyphs' order with stray breaks and control characters). .ci/run installs poppler-utils and
fonts-noto-core; without them these tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from learning.certificate import render_pdf
from learning.fonts import default_fonts
from learning.records import Certificate

PUBLIC = "https://karmabot.example.gov.in"
ISSUED = datetime(2025, 12, 3, 9, 0, tzinfo=UTC)
CODE = "KM3P7QX9TR"
URL = f"{PUBLIC}/certificates/verify/{CODE}"
#: language, script, learner name, course title, the font that must print them, wording title.
CASES = [
    ("en", "Latn", "Asha D’Souza-Rao", "Ethics & Integrity in Public Service", "NotoSans",
     "Certificate of Completion"),
    ("hi", "Deva", "क्षितिज श्रीवास्तव", "कर्मयोगी प्रारम्भ: शासन में नैतिकता",
     "NotoSansDevanagari", "पूर्णता प्रमाणपत्र"),
    ("mr", "Deva", "ज्ञानेश्वर पाटील", "लोकसेवेतील नीतिमत्ता", "NotoSansDevanagari",
     "Certificate of Completion"),
    ("ta", "Taml", "கார்த்திக் சுப்பிரமணியம்", "அரசுப் பணியில் நெறிமுறைகள்", "NotoSansTamil",
     "நிறைவுச் சான்றிதழ்"),
    ("bn", "Beng", "অর্পিতা চট্টোপাধ্যায়", "জনসেবায় ডিজিটাল দক্ষতা", "HindSiliguri",
     "সমাপ্তির শংসাপত্র"),
    ("te", "Telu", "శ్రీనివాస్ రెడ్డి", "పౌర సేవలో నైతికత", "NotoSansTelugu",
     "Certificate of Completion"),
    ("kn", "Knda", "ಶ್ರೀಕಾಂತ್ ಹೆಗ್ಡೆ", "ಸಾರ್ವಜನಿಕ ಸೇವೆಯಲ್ಲಿ ನೈತಿಕತೆ", "NotoSansKannada",
     "Certificate of Completion"),
    ("ml", "Mlym", "ശ്രീലക്ഷ്മി നായർ", "പൊതുസേവനത്തിലെ ധാർമ്മികത", "NotoSansMalayalam",
     "Certificate of Completion"),
    ("gu", "Gujr", "પ્રિયા પટેલ", "જાહેર સેવામાં નૈતિકતા", "NotoSansGujarati",
     "Certificate of Completion"),
    ("pa", "Guru", "ਹਰਪ੍ਰੀਤ ਸਿੰਘ", "ਲੋਕ ਸੇਵਾ ਵਿੱਚ ਨੈਤਿਕਤਾ", "NotoSansGurmukhi",
     "Certificate of Completion"),
    ("or", "Orya", "ସୁଶ୍ରୀ ମହାପାତ୍ର", "ଲୋକସେବାରେ ନୈତିକତା", "NotoSansOriya",
     "Certificate of Completion"),
]  # fmt: skip


def missing(what: str) -> None:
    """Skip a test for a missing system tool or font; under CI, fail instead."""
    message = f"{what} is not installed (apt-get install poppler-utils fonts-noto-core)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def flat(text: str) -> str:
    """NFC text with every run of white space as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        missing("pdftotext")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def certificate(language: str, name: str, title: str, **more: Any) -> Certificate:
    return Certificate(CODE, "learner-1", "ethics-101", name, title, ISSUED, language, **more)


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Each font on the page (without its subset tag) and whether its program is embedded."""
    fonts: dict[str, bool] = {}
    for font in PdfReader(BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = described.get("/FontDescriptor")
        program = descriptor is not None and any(
            key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
        )
        fonts[str(font["/BaseFont"]).split("+")[-1]] = program
    return fonts


@pytest.mark.parametrize(
    ("language", "script", "name", "title", "font", "heading"), CASES, ids=[c[0] for c in CASES]
)
def test_every_script_prints_as_given_in_an_embedded_font(
    tmp_path: Path, language: str, script: str, name: str, title: str, font: str, heading: str
) -> None:
    if default_fonts().face(script) is None:
        missing(f"a font for {script}")
    pdf = render_pdf(certificate(language, name, title), PUBLIC)
    text = flat(pdftotext(pdf, tmp_path))
    assert flat(name) in text and flat(title) in text
    assert heading in text and URL in text and f"{CODE}" in text
    fonts = embedded_fonts(pdf)
    assert any(f.removesuffix("Bold") == font for f in fonts), fonts  # the script's own font
    assert all(fonts.values()), fonts  # every font's program is in the file
    assert not any(base in fonts for base in ("Helvetica", "Courier", "Times-Roman"))


def test_the_wording_and_date_are_in_the_learners_language(tmp_path: Path) -> None:
    pdf = render_pdf(certificate("hi", "मीरा अय्यर", "डेमो कोर्स"), PUBLIC)
    text = flat(pdftotext(pdf, tmp_path))
    for wording in ("प्रमाणित किया जाता है कि", "ने कोर्स", "3 दिसंबर 2025 को", "सत्यापन कोड:"):
        assert wording in text
    latin = render_pdf(certificate("hi", "Meera Iyer", "Demo course", script="latin"), PUBLIC)
    assert "poornata pramaanpatra" in flat(pdftotext(latin, tmp_path))


def test_latin_text_is_also_read_by_pypdf() -> None:
    """No system tool needed: pypdf reads Latin text faithfully."""
    pdf = render_pdf(certificate("en", "Ōlivia D’Souza", "Right to Information (RTI)"), PUBLIC)
    text = flat(PdfReader(BytesIO(pdf)).pages[0].extract_text())
    assert "Ōlivia D’Souza" in text and "Right to Information (RTI)" in text
    assert URL in text and "3 December 2025" in text


def test_the_qr_code_reads_as_the_verification_link(tmp_path: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        missing("pdftoppm")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(render_pdf(certificate("ta", "கார்த்திக்", "பாடநெறி"), PUBLIC))
    subprocess.run(["pdftoppm", "-r", "120", "-png", str(path), str(tmp_path / "page")], check=True)
    [page] = tmp_path.glob("page*.png")
    codes = zxingcpp.read_barcodes(Image.open(page))
    assert [(c.format.name, c.text) for c in codes] == [("QRCode", URL)]


def test_the_link_is_clickable_and_long_names_still_fit_on_one_page() -> None:
    name = "Venkata Lakshmi Narasimha Subramanya Sastry Chakravarthula " * 3
    title = "Advanced Course " * 12
    pdf = render_pdf(certificate("en", name.strip()[:200], title.strip()[:200]), PUBLIC)
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    links = [a.get_object()["/A"]["/URI"] for a in reader.pages[0].get("/Annots", [])]
    assert URL in links
