"""Fonts for every script: PyPI packages first, then system Noto; romanized as a last resort."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from indic_transliteration import sanscript

from learning.certificate import render_pdf
from learning.fonts import PACKAGES, Fonts, default_cache_dir, default_fonts
from learning.records import Certificate
from tests.learning.test_certificate_pdf import flat, pdftotext


def test_the_catalog_languages_scripts_come_from_pypi_packages() -> None:
    fonts = default_fonts()
    for script, package in (("Latn", "fontpkg_noto_sans"), ("Deva", "fontpkg_noto_sans_devanagari"),
                            ("Taml", "fontpkg_noto_sans_tamil"), ("Beng", "fontpkg_hind_siliguri"),
                            ("Telu", "fontpkg_noto_sans_telugu")):  # fmt: skip
        face = fonts.face(script)
        assert face is not None and face.regular != face.bold, script
        if script == "Beng":  # static files, used as shipped
            assert package in str(face.regular) and face.regular.name == "HindSiliguri-Regular.ttf"
            continue
        regular, bold = TTFont(face.regular), TTFont(face.bold)
        assert package in str(face.regular)  # the variable font, whose default is regular
        assert {a.axisTag: a.defaultValue for a in regular["fvar"].axes}["wght"] == 400
        assert "fvar" not in bold and bold["OS/2"].usWeightClass == 700  # cut once, static
        assert bold["name"].getDebugName(6).endswith("-Bold")


def test_cut_fonts_are_reused_not_cut_again(monkeypatch: pytest.MonkeyPatch) -> None:
    default_fonts().warm(["Deva"])  # cut once (or earlier) into the cache

    def no_cutting(*_: object, **__: object) -> None:
        raise AssertionError("cut again")

    monkeypatch.setattr("fontTools.varLib.instancer.instantiateVariableFont", no_cutting)
    face = Fonts(default_cache_dir()).face("Deva")
    assert face is not None and face.bold.parent == default_cache_dir()


def test_a_script_without_a_package_uses_the_system_noto_font(tmp_path: Path) -> None:
    stand_in = default_fonts().face("Beng")
    assert stand_in is not None
    shutil.copy(stand_in.regular, tmp_path / "NotoSansKannada-Regular.ttf")
    face = Fonts(tmp_path / "cache", packages={}, system_dirs=[tmp_path]).face("Knda")
    assert face is not None and face.regular == tmp_path / "NotoSansKannada-Regular.ttf"
    assert face.bold == face.regular  # no bold file: the regular one serves
    assert Fonts(tmp_path / "cache", packages={}, system_dirs=[tmp_path]).face("Orya") is None


def test_a_script_no_font_covers_is_romanized_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fonts = Fonts(packages={"Latn": PACKAGES["Latn"]}, system_dirs=[])
    name, title = "ಶ್ರೀಕಾಂತ್ ಹೆಗ್ಡೆ", "Ethics"
    issued = datetime(2025, 12, 3, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="learning.fonts"):
        pdf = render_pdf(
            Certificate("ABC234DEFG", "l", "c", name, title, issued, "kn"), fonts=fonts
        )
    romanized = sanscript.transliterate(name, sanscript.KANNADA, sanscript.IAST)
    assert flat(romanized) in flat(pdftotext(pdf, tmp_path))
    assert "no font prints the Knda script" in caplog.text


def test_without_the_latin_font_rendering_says_how_to_fix_it() -> None:
    issued = datetime(2025, 12, 3, tzinfo=UTC)
    certificate = Certificate("ABC234DEFG", "l", "c", "Asha", "Ethics", issued)
    with pytest.raises(RuntimeError, match="make setup"):
        render_pdf(certificate, fonts=Fonts(packages={}, system_dirs=[]))


def test_an_unwritable_cache_falls_back_to_a_temporary_folder(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    fonts = Fonts(tmp_path / "a-file" / "cache", packages={"Taml": PACKAGES["Taml"]})
    face = fonts.face("Taml")
    assert face is not None and face.bold.is_file()
    assert "karmabot-fonts-" in face.bold.parent.name
    shutil.rmtree(face.bold.parent)
