"""A roster file as it comes: its text encoding, its delimiter, its header and its records.

Read: UTF-8 with or without a byte order mark, UTF-16 and UTF-32 with one, and, for a file that
is not UTF-8, Windows-1252 (which Latin-1 text also reads as) when the text looks like a Latin
script. Anything else, such as a workbook saved as .xlsx or text in another legacy code page,
is refused with one line saying how to save the file. The delimiter is the one of ``,``, ``;``
(Excel in many locales) and tab that splits the header into the most known column names; an
Excel ``sep=;`` first line is honoured.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

SAVE_AS = 'in Excel, use Save As "CSV UTF-8 (Comma delimited)"'
DELIMITERS = (",", ";", "\t")
#: Byte order marks, longest first (a UTF-32 LE mark starts like a UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WORKBOOKS = ((b"PK\x03\x04", ".xlsx"), (b"\xd0\xcf\x11\xe0", ".xls"))


class RosterFileError(ValueError):
    """The file as a whole cannot be read, so nothing of it is imported.

    Attributes:
        line: The line the problem is on; 0 for the whole file.
    """

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Table:
    """A roster's cells: the header (stripped, lower case) and each record with its line."""

    header: list[str]
    header_line: int
    records: list[tuple[int, list[str]]]
    encoding: str
    delimiter: str


def _latin(data: bytes) -> bool:
    """Whether bytes that are not UTF-8 read as Windows-1252 text in a Latin script."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    if from_bytes(data, cp_isolation=["cp1252"]).best() is None:
        return False  # decodes, but reads as noise
    guess = from_bytes(data).best()  # a Cyrillic, Greek or CJK file is refused, not garbled
    allowed = {"Control character", "General Punctuation", "Currency Symbols"}
    return guess is None or all("Latin" in a or a in allowed for a in guess.alphabets)


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with.

    Raises:
        RosterFileError: when the bytes are not text in an encoding read here.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            name = codec.removesuffix("-sig").upper()
            try:
                return data.decode(codec), name
            except UnicodeDecodeError as exc:
                raise RosterFileError(
                    f"the file starts as {name} but byte {exc.start} is not {name}; {SAVE_AS}"
                ) from None
    for magic, kind in _WORKBOOKS:
        if data.startswith(magic):
            raise RosterFileError(f"this is an Excel workbook ({kind}), not CSV; {SAVE_AS}")
    if b"\x00" in data:
        raise RosterFileError(
            f"the file has NUL bytes (UTF-16 without a byte order mark, or not text); {SAVE_AS}"
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if _latin(data):
        return data.decode("cp1252"), "Windows-1252"
    raise RosterFileError(f"the file is not UTF-8, UTF-16 or Windows-1252 text; {SAVE_AS}")


def _delimiter(line: str, columns: Collection[str]) -> str:
    """The delimiter that splits the header line into the most known column names."""

    def known(delimiter: str) -> int:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        return sum(cell.strip().lower() in columns for cell in cells)

    return max(DELIMITERS, key=known)  # a tie (one column) keeps ","


def read_table(path: Path, columns: Collection[str]) -> Table:
    """The header and records of a roster file; `columns` are the names a header may use.

    Raises:
        RosterFileError: when the file cannot be read as a whole (encoding, CSV syntax).
    """
    text, encoding = decode(path.read_bytes())
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    skip = 0
    if first.lower().startswith("sep=") and len(first.rstrip("\r\n")) == 5:
        delimiter, skip = first[4], 1  # Excel's "sep=;" line
    else:
        delimiter = _delimiter(first, columns)
    lines.seek(0)
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise RosterFileError(f"line {line}: {exc}", line) from None
    records = [(n, cells) for n, cells in records[skip:] if cells]
    if not records:
        raise RosterFileError("the file is empty: it needs a header row", 1)
    (header_line, header), *rest = records
    return Table([cell.strip().lower() for cell in header], header_line, rest, encoding, delimiter)
