"""Fonts that print every script Karmabot speaks, for PDFs (learning/certificate.py).

Each script has candidate fonts, tried in order. Fonts shipped in PyPI packages come first
(pinned dependencies, so `make setup` brings them and every machine draws the same PDF), then
Debian's `fonts-noto-core` (or another distribution's Noto folder):

======  ===============================================  ============================
Script  PyPI package                                     system font
======  ===============================================  ============================
Latn    fontpkg-noto-sans (Noto Sans)                    NotoSans
Deva    fontpkg-noto-sans-devanagari                     NotoSansDevanagari
Taml    fontpkg-noto-sans-tamil                          NotoSansTamil
Telu    fontpkg-noto-sans-telugu                         NotoSansTelugu
Beng    fontpkg-hind-siliguri (no Noto Bengali on PyPI)  NotoSansBengali
Gujr, Guru, Knda, Mlym, Orya  (none on PyPI)             NotoSans<Script> (fonts-noto-core)
======  ===============================================  ============================

The fontpkg Noto packages hold variable fonts. Their default instance is the regular weight,
which PDF viewers draw from the font's plain outlines, so it is used as is; the bold instance is
cut once (fontTools: about 2 s for Latin or Devanagari, 4 s for Telugu) and kept in a cache
folder. `Fonts.warm()` cuts ahead of the first certificate.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

REGULAR, BOLD = 400, 700
_CUT = "cut1"  # part of a cut font's file name: change it when the way fonts are cut changes
#: PyPI font packages per script (import names), best first.
PACKAGES: dict[str, tuple[str, ...]] = {
    "Latn": ("fontpkg_noto_sans",), "Deva": ("fontpkg_noto_sans_devanagari",),
    "Taml": ("fontpkg_noto_sans_tamil",), "Telu": ("fontpkg_noto_sans_telugu",),
    "Beng": ("fontpkg_hind_siliguri",),
}  # fmt: skip
#: Noto file stems per script, looked for as `<stem>-Regular.ttf` and `<stem>-Bold.ttf`.
SYSTEM_STEMS: dict[str, str] = {
    "Latn": "NotoSans", "Deva": "NotoSansDevanagari", "Beng": "NotoSansBengali",
    "Taml": "NotoSansTamil", "Telu": "NotoSansTelugu", "Knda": "NotoSansKannada",
    "Mlym": "NotoSansMalayalam", "Gujr": "NotoSansGujarati", "Guru": "NotoSansGurmukhi",
    "Orya": "NotoSansOriya",
}  # fmt: skip
#: Noto Sans covers Greek and Cyrillic too; only these ranges are kept before cutting it
#: (Latin with IAST and other diacritics, punctuation, ₹), which makes the cut 5x faster.
LATIN_RANGES = ((0x20, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF),
                (0x2100, 0x214F), (0x2190, 0x21FF), (0x25CC, 0x25CC))  # fmt: skip
SYSTEM_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/noto"),  # Debian, Ubuntu: fonts-noto-core
    Path("/usr/share/fonts/noto"),  # Arch
    Path("/usr/share/fonts/google-noto"),  # Fedora
)


@dataclass(frozen=True)
class FontFace:
    """The regular and bold font files that print one script."""

    script: str
    regular: Path
    bold: Path


def default_cache_dir() -> Path:
    """Where cut instances of variable fonts are kept: the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "karmabot" / "fonts"


class Fonts:
    """Finds the font for each script, cutting static instances of variable fonts once.

    Safe to share between threads (certificates are drawn in worker threads).

    Args:
        cache_dir: Folder for static instances of variable fonts (default: the user's cache;
            a private temporary folder if that cannot be written).
        packages: PyPI font packages per script (import names).
        system_dirs: Folders searched for Noto fonts when no package has one.
    """

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        packages: dict[str, tuple[str, ...]] = PACKAGES,
        system_dirs: Sequence[Path] = SYSTEM_DIRS,
    ) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self.packages = packages
        self.system_dirs = tuple(system_dirs)
        self._faces: dict[str, FontFace | None] = {}
        self._lock = threading.Lock()

    def face(self, script: str) -> FontFace | None:
        """The font for an ISO 15924 script ("Deva"); None when none is installed."""
        with self._lock:
            if script not in self._faces:
                self._faces[script] = self._find(script)
                if self._faces[script] is None:
                    logger.warning("no font prints the %s script; it will be romanized", script)
            return self._faces[script]

    def warm(self, scripts: Sequence[str] = tuple(PACKAGES)) -> None:
        """Find (and cut) the fonts of `scripts` now, e.g. in a thread at start-up."""
        for script in scripts:
            self.face(script)

    def _find(self, script: str) -> FontFace | None:
        for module in self.packages.get(script, ()):
            face = self._from_package(script, module)
            if face is not None:
                return face
        stem = SYSTEM_STEMS.get(script)
        for folder in self.system_dirs if stem else ():
            regular, bold = folder / f"{stem}-Regular.ttf", folder / f"{stem}-Bold.ttf"
            if regular.is_file():
                return FontFace(script, regular, bold if bold.is_file() else regular)
        return None

    def _from_package(self, script: str, module: str) -> FontFace | None:
        """The face a fontpkg package ships: static files by weight, or a cut variable font."""
        try:
            root = Path(importlib.import_module(module).ROOT)
            files: list[dict[str, Any]] = json.loads((root / "metadata.json").read_text())["files"]
        except (ImportError, AttributeError, OSError, ValueError, KeyError):
            return None
        upright = [f for f in files if f.get("style", "normal") == "normal"]
        variable = next((f for f in upright if f.get("variable")), None)
        if variable is not None:
            # Its default instance is the regular weight, used as is; bold is cut once.
            path = root / variable["path"]
            return FontFace(script, path, self._instance(path, BOLD, script == "Latn"))
        weights = {f.get("weight"): root / f["path"] for f in upright}
        if REGULAR not in weights:
            return None
        return FontFace(script, weights[REGULAR], weights.get(BOLD, weights[REGULAR]))

    def _writable_cache(self) -> Path:
        """The cache folder, or a private temporary one when it cannot be written."""
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            if os.access(self.cache_dir, os.W_OK | os.X_OK):
                return self.cache_dir
        except OSError:
            pass
        logger.warning("font cache %s is not writable; using a temporary folder", self.cache_dir)
        self.cache_dir = Path(tempfile.mkdtemp(prefix="karmabot-fonts-"))
        return self.cache_dir

    def _instance(self, variable: Path, weight: int, latin_only: bool = False) -> Path:
        """A static instance of a variable font at `weight`, cut once and cached."""
        digest = hashlib.sha256(variable.read_bytes()).hexdigest()[:16]
        stem = variable.name.split("[")[0].removesuffix(".ttf")
        name = f"{stem}-{weight}-{_CUT}-{digest}.ttf"
        if (self.cache_dir / name).is_file():  # a read-only, pre-filled cache works too
            return self.cache_dir / name
        target = self._writable_cache() / name
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.varLib import instancer

        logger.info("cutting %s at weight %d (once; kept in %s)", variable.name, weight, target)
        font = TTFont(variable)
        if latin_only:
            options = subset.Options(layout_features=["*"], name_IDs=["*"], notdef_outline=True)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=[u for a, b in LATIN_RANGES for u in range(a, b + 1)])
            subsetter.subset(font)
        axes = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
        instancer.instantiateVariableFont(
            font, axes | {"wght": weight}, inplace=True, updateFontNames=True
        )
        # Written beside the target, then renamed: another process may be cutting it too.
        handle, partial = tempfile.mkstemp(suffix=".part", dir=target.parent)
        os.close(handle)
        font.save(partial)
        os.replace(partial, target)
        return target


@lru_cache(maxsize=1)
def default_fonts() -> Fonts:
    """The process-wide font finder (its cut fonts are kept in the user's cache folder)."""
    return Fonts()
