"""Roster files as they come: encodings, Excel's separators, stray cells, long values, duplicates.

A file that cannot be read is refused with one line and gives no rows; a bad row is reported on
its own line and leaves the other rows alone.
"""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest

from learning.roster import RosterRow, RowError, parse

LANGUAGES = {"en", "hi", "ta"}
TEXT = (
    "name,phone,organisation,role\n"
    "आशा राव,9876500001,राजस्व विभाग,Clerk\n"
    "José Müller,9876500002,Dept – Revenue,O’Brien’s deputy\n"
)


def read(tmp_path: Path, data: bytes) -> tuple[list[RosterRow], list[RowError]]:
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    return parse(path, LANGUAGES)


def names(rows: list[RosterRow]) -> list[str]:
    return [r.name for r in rows]


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with its byte order mark, as Excel's "Unicode text" writes
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "crlf"],
)
def test_unicode_files_read_alike(tmp_path: Path, data: bytes) -> None:
    rows, errors = read(tmp_path, data)
    assert errors == []
    assert names(rows) == ["आशा राव", "José Müller"]
    assert rows[0].organisation == "राजस्व विभाग" and rows[1].role == "O’Brien’s deputy"


def test_windows_1252_and_latin_1_files_are_read(tmp_path: Path) -> None:
    western = TEXT.splitlines()[0] + "\n" + TEXT.splitlines()[2] + "\n"
    rows, errors = read(tmp_path, western.encode("cp1252"))
    assert errors == [] and names(rows) == ["José Müller"]
    assert (rows[0].organisation, rows[0].role) == ("Dept – Revenue", "O’Brien’s deputy")
    rows, errors = read(tmp_path, "name,phone\nSøren Ærø,9876500003\n".encode("latin-1"))
    assert errors == [] and names(rows) == ["Søren Ærø"]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            "name,phone\nИван Петров,9876500001\nОльга Смирнова,9876500002\n".encode("cp1251"),
            "is not UTF-8, UTF-16 or Windows-1252",
        ),
        ("name,phone\n山田太郎,9876500001\n".encode("shift_jis"), "is not UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "Excel workbook (.xls)"),
        ("name,phone\nAsha,9876500001\n".encode("utf-16-le"), "NUL bytes"),
        (codecs.BOM_UTF8 + b"name,phone\nAsha \xff,9876500001\n", "starts as UTF-8"),
        (b"", "empty"),
        (b"\n\n", "empty"),
    ],
    ids=["cp1251", "shift-jis", "xlsx", "xls", "utf-16-no-bom", "broken-utf-8", "empty", "blank"],
)
def test_unreadable_files_are_refused_in_one_line(tmp_path: Path, data: bytes, says: str) -> None:
    rows, errors = read(tmp_path, data)
    assert rows == [] and len(errors) == 1 and errors[0].whole_file
    assert says in errors[0].message and "\n" not in str(errors[0])
    if errors[0].line == 0:
        assert "CSV UTF-8" in str(errors[0]) and not str(errors[0]).startswith("line")


@pytest.mark.parametrize(
    "text",
    [
        "name;phone;organisation;mandatory\r\nJosé;9876500001;DoPT, Delhi;rti:2027-01-31\r\n"
        "Ravi;9876500002;;\r\n",
        "sep=;\r\nname;phone;organisation;mandatory\r\nJosé;9876500001;DoPT, Delhi;"
        "rti:2027-01-31\r\nRavi;9876500002;;\r\n",
        "name\tphone\torganisation\tmandatory\nJosé\t9876500001\tDoPT, Delhi\trti:2027-01-31\n"
        "Ravi\t9876500002\t\t\n",
    ],
    ids=["semicolon", "sep-line", "tab"],
)
def test_excel_separators_are_detected(tmp_path: Path, text: str) -> None:
    rows, errors = read(tmp_path, text.encode("cp1252"))
    assert errors == []
    assert [(r.name, r.organisation, r.mandatory) for r in rows] == [
        ("José", "DoPT, Delhi", (("rti", date(2027, 1, 31)),)),
        ("Ravi", None, ()),
    ]


def test_cells_beyond_the_header_are_reported_unless_empty(tmp_path: Path) -> None:
    text = "name,phone,organisation\nAsha,9876500001,DoPT,,\nRavi,9876500002,DoPT, Delhi\n"
    rows, errors = read(tmp_path, text.encode())
    assert names(rows) == ["Asha"]  # trailing empty cells are harmless
    assert [(e.line, e.message) for e in errors] == [
        (3, "4 cells but the header has 3 columns (a value with ',' in it needs double quotes)")
    ]
    rows, errors = read(tmp_path, b'name;phone\nAsha;9876500001;x\n"Ravi;K";9876500002\n')
    assert names(rows) == ["Ravi;K"] and "with ';' in it" in errors[0].message


def test_long_values_are_reported_not_cut(tmp_path: Path) -> None:
    fits, long = "N" * 200, "N" * 201
    text = f"""name,phone,organisation,role
{fits},9876500001,{fits},{fits}
{long},9876500002,,
Ravi,9876500003,{long},
Meena,9876500004,,{long}
"""
    rows, errors = read(tmp_path, text.encode())
    assert [(r.name, r.organisation, r.role) for r in rows] == [(fits, fits, fits)]
    assert [(e.line, e.message) for e in errors] == [
        (3, "name is longer than 200 characters (201)"),
        (4, "organisation is longer than 200 characters (201)"),
        (5, "role is longer than 200 characters (201)"),
    ]


def test_identities_given_twice_are_reported_on_the_later_line(tmp_path: Path) -> None:
    text = """name,phone,telegram,platform_user_id
Asha,9876500001,@asha_rao,u-1
Ravi,09876500001,,u-2
Meena,9876500003,@ASHA_RAO,u-3
Kumar,9876500004,55501234,u-1
Devi,9876500005,55501234,u-5
Lata,9876500006,,u-6
"""
    rows, errors = read(tmp_path, text.encode())
    assert names(rows) == ["Asha", "Lata"]
    assert [(e.line, e.message) for e in errors] == [
        (3, "919876500001 is also on line 2"),
        (4, "asha_rao is also on line 2"),
        (5, "u-1 is also on line 2"),
        (6, "55501234 is also on line 5"),
    ]


def test_what_excel_and_legacy_exports_garble_is_explained(tmp_path: Path) -> None:
    text = """name,phone,telegram,organisation
???? ???,9876500001,,DoPT
Asha,9.87650E+09,,DoPT
Ravi,9876500003,5.55012E+07,DoPT
Meena,9876500004,,R?jasva
"""
    rows, errors = read(tmp_path, text.encode())
    assert rows == []
    assert [e.line for e in errors] == [2, 3, 4, 5]
    assert "letters replaced by '?'" in errors[0].message and "CSV UTF-8" in errors[0].message
    assert "scientific notation" in errors[1].message and "scientific" in errors[2].message
    assert errors[3].message.startswith("organisation 'R?jasva' has letters replaced")


def test_line_numbers_count_lines_of_quoted_cells(tmp_path: Path) -> None:
    text = 'name,phone,role\n"Asha",9876500001,"Section\nOfficer"\n\nRavi,123,\n'
    rows, errors = read(tmp_path, text.encode())
    assert [(r.line, r.role) for r in rows] == [(2, "Section\nOfficer")]
    assert [e.line for e in errors] == [5]


def test_header_problems_stop_the_import(tmp_path: Path) -> None:
    rows, errors = read(tmp_path, b"name,phone,Phone\nAsha,9876500001,9876500002\n")
    assert rows == [] and errors[0].whole_file and errors[0].line == 1
    assert "column 'phone' twice" in errors[0].message
    rows, errors = read(tmp_path, b"sep=;\nname;mobile\nAsha;1\n")
    assert rows == [] and errors[0].line == 2 and "unknown column 'mobile'" in errors[0].message
    assert read(tmp_path, b"name,phone\n") == ([], [])


def test_platform_ids_and_batches_are_checked(tmp_path: Path) -> None:
    text = """name,phone,platform_user_id,mandatory
Asha,9876500001,f8b3e3c2-1d2e-4c1a-9a57-0a5b2c3d4e5f,rti:2027-01-31:01385123456789;ethics:2027-02-28
Ravi,9876500002,has space,
Meena,9876500003,,rti:2027-01-31:bad batch
Kumar,9876500004,,rti:2027-01-31:b1;rti:2027-01-31:b2
Devi,9876500005,,rti:2027-01-31:b1;rti:2027-01-31
Lata,9876500006,,rti:2027-01-31:b1:extra
"""
    rows, errors = read(tmp_path, text.encode())
    assert [(r.name, r.platform_user_id, r.mandatory, r.batches) for r in rows] == [
        (
            "Asha",
            "f8b3e3c2-1d2e-4c1a-9a57-0a5b2c3d4e5f",
            (("rti", date(2027, 1, 31)), ("ethics", date(2027, 2, 28))),
            (("rti", "01385123456789"),),
        ),
        ("Devi", None, (("rti", date(2027, 1, 31)),), (("rti", "b1"),)),
    ]
    assert [(e.line, e.message.split(" ")[0]) for e in errors] == [
        (3, "platform_user_id"),
        (4, "mandatory"),
        (5, "mandatory"),
        (7, "mandatory"),
    ]
    assert "'bad batch' is not a batch id" in errors[1].message
    assert errors[2].message == "mandatory lists 'rti' with two batches"


def test_emails_are_checked_for_their_form_and_compared_in_any_case(tmp_path: Path) -> None:
    text = """name,phone,email
Asha,9876500001,Asha@Example.gov.in
Ravi,9876500002,not-an-address
Meena,9876500003,meena@
Kumar,9876500004,ASHA@example.GOV.IN
Devi,9876500005,devi.k+training@example.gov.in
"""
    rows, errors = read(tmp_path, text.encode())
    assert [(r.name, r.email) for r in rows] == [
        ("Asha", "asha@example.gov.in"), ("Devi", "devi.k+training@example.gov.in"),
    ]  # fmt: skip
    assert [(e.line, e.message.split(" ")[0]) for e in errors] == [
        (3, "email"), (4, "email"), (5, "asha@example.gov.in"),
    ]  # fmt: skip
    assert "'not-an-address' is not an email address" in errors[0].message
    assert errors[2].message == "asha@example.gov.in is also on line 2"
