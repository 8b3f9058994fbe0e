"""Reading an uploaded file: encodings, delimiters, headers, and what is refused outright."""

import codecs
import csv
import io

import pytest
from django.core.exceptions import ValidationError

from imports import reading, services
from tests.imports.conftest import upload


def stored(data: bytes, tmp_path, max_bytes=10**7):
    return reading.store_upload(upload(data), folder=tmp_path, max_bytes=max_bytes)


def layout(data: bytes, tmp_path):
    file = stored(data, tmp_path)
    return file, reading.read_layout(file)


def refusal(data: bytes, tmp_path) -> str:
    """Why the upload is refused; the copy it began is gone again."""
    with pytest.raises(ValidationError) as caught:
        services._read(upload(data))
    assert list(services.uploads_dir().glob("*")) == []
    return " ".join(caught.value.message_dict["file"])


@pytest.mark.parametrize(
    "data,encoding,detected",
    [
        ("Nom,E-mail\nRené,rene@example.com\n".encode(), "utf-8", "UTF-8"),
        (codecs.BOM_UTF8 + "Nom,E-mail\nRené,rene@example.com\n".encode(), "utf-8", "UTF-8 with BOM"),
        ("Nom,E-mail\nRené “Bob”,rene@example.com\n".encode("cp1252"), "cp1252", "Windows-1252"),
        ("Nom,E-mail\nRené,rene@example.com\n".encode("utf-16"), "utf-8", "UTF-16"),
    ],
)
def test_the_encoding_is_detected(data, encoding, detected, tmp_path):
    file, found = layout(data, tmp_path)
    assert (file.encoding, file.detected_encoding) == (encoding, detected)
    assert found.header == ["Nom", "E-mail"]
    with open(file.path, "rb") as handle:
        (row,) = reading.records(
            handle, encoding=file.encoding, delimiter=found.delimiter, offset=found.data_offset, line=1
        )
    assert row.cells[0].startswith("René") and row.line == 2
    assert file.unreadable_lines == 0


def read_all(file, found, encoding=None):
    with open(file.path, "rb") as handle:
        return list(
            reading.records(
                handle,
                encoding=encoding or file.encoding,
                delimiter=found.delimiter,
                offset=found.data_offset,
                line=found.header_lines,
            )
        )


MIXED = (
    b"First name,Last name,E-mail\n"
    + "José,Pérez,jose@example.com\n".encode()
    + "René,Noël,rene@example.com\n".encode("cp1252")  # pasted in from another export
    + b"Ann,Lee,ann@example.com\n"
    + "Zoë,“Zed” Ortiz,zoe@example.com\n".encode("cp1252")
)


def test_a_file_mixing_utf8_and_windows_1252_lines_is_utf8_and_the_other_lines_are_rejected(tmp_path):
    file, found = layout(MIXED, tmp_path)
    assert (file.encoding, file.detected_encoding) == ("utf-8", "UTF-8")
    assert (file.unreadable_lines, file.first_unreadable_line) == (2, 3)
    got = read_all(file, found)
    assert [(r.line, r.cells) for r in got] == [
        (2, ["José", "Pérez", "jose@example.com"]),
        (3, None),
        (4, ["Ann", "Lee", "ann@example.com"]),
        (5, None),
    ]
    assert got[1].error.startswith("Line 3 is not UTF-8 text: byte 0xE9 at byte 4 of the line cannot be read")
    assert "looks like Windows-1252" in got[1].error and "left out rather than guessed" in got[1].error
    assert got[3].error.startswith("Line 5 is not UTF-8 text")


def test_a_mixed_file_read_as_windows_1252_by_hand_rejects_its_utf8_lines_instead_of_garbling_them(tmp_path):
    file, found = layout(MIXED, tmp_path)
    got = read_all(file, found, encoding="cp1252")
    assert [r.line for r in got if r.cells is None] == [2]
    assert "Line 2 is not Windows-1252 text: it is UTF-8 text" in got[0].error
    assert [r.cells[0] for r in got if r.cells] == ["René", "Ann", "Zoë"]
    assert not any("Ã" in cell for r in got if r.cells for cell in r.cells)
    file.encoding = "cp1252"
    assert reading.count_unreadable(file).unreadable_lines == 1


def test_a_windows_1252_file_with_a_byte_it_lacks_loses_only_that_line(tmp_path):
    file, found = layout(
        b"Nom,E-mail\nRen\xe9,rene@example.com\nBad \x81,bad@example.com\nZo\xeb,z@example.com\n", tmp_path
    )
    assert (file.encoding, file.detected_encoding) == ("cp1252", "Windows-1252")
    assert (file.unreadable_lines, file.first_unreadable_line) == (1, 3)
    got = read_all(file, found)
    assert [(r.line, r.cells and r.cells[0]) for r in got] == [(2, "René"), (3, None), (4, "Zoë")]
    assert "byte 0x81 at byte 5 of the line cannot be read" in got[1].error


def test_latin_1_chosen_by_hand_rejects_lines_with_control_codes(tmp_path):
    file, found = layout("Nom,E-mail\nRené,rene@example.com\n“Bob”,bob@example.com\n".encode("cp1252"), tmp_path)
    got = read_all(file, found, encoding="latin-1")
    assert got[0].cells[0] == "René"
    assert got[1].cells is None and "0x93 is a control code in Latin-1" in got[1].error


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(delimiter, tmp_path):
    text = delimiter.join(["Name", "E-mail", "City"]) + "\n"
    text += delimiter.join(['"Smith, Ann"', "ann@example.com", "Dayton; OH"]) + "\n"
    text += delimiter.join(["Bob", "bob@example.com", "Akron"]) + "\n"
    _file, found = layout(text.encode(), tmp_path)
    assert found.delimiter == delimiter
    assert found.header == ["Name", "E-mail", "City"]


def test_a_single_column_file_is_read(tmp_path):
    _file, found = layout(b"E-mail\na@example.com\nb@example.com\n", tmp_path)
    assert found.header == ["E-mail"] and found.rows_estimate == 2


def test_old_mac_line_endings_are_read(tmp_path):
    file, found = layout(b"Name,E-mail\rAnn,a@example.com\rBob,b@example.com\r", tmp_path)
    assert found.rows_estimate == 2 and found.header == ["Name", "E-mail"]


def test_rows_carry_their_line_and_offset_and_resume_from_it(tmp_path):
    data = b'Name,Address\nAnn,"1 Main St\nDayton"\n\nBob,2 Elm\nCy,3 Oak\n'
    file, found = layout(data, tmp_path)
    with open(file.path, "rb") as handle:
        first = list(reading.records(handle, encoding="utf-8", delimiter=",", offset=found.data_offset, line=1))
        assert [(r.line, r.cells[0]) for r in first] == [(2, "Ann"), (5, "Bob"), (6, "Cy")]
        resumed = list(
            reading.records(handle, encoding="utf-8", delimiter=",", offset=first[0].end_offset, line=first[0].end_line)
        )
    assert [(r.line, r.cells) for r in resumed] == [(5, ["Bob", "2 Elm"]), (6, ["Cy", "3 Oak"])]


def test_an_unclosed_quote_is_one_bad_row_not_the_rest_of_the_file(tmp_path):
    data = b'Name,E-mail\n"Ann,a@example.com\n' + b"x,y\n" * 60 + b"Zed,z@example.com\n"
    file, found = layout(data, tmp_path)
    with open(file.path, "rb") as handle:
        (bad,) = list(reading.records(handle, encoding="utf-8", delimiter=",", offset=found.data_offset, line=1))
    assert bad.cells is None and "never closed" in bad.error and bad.line == 2


def test_a_line_over_the_limit_is_a_bad_row(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE", 64)
    data = b"Name,E-mail\n" + b"A" * 200 + b",a@example.com\nBob,b@example.com\n"
    file, found = layout(data, tmp_path)
    with open(file.path, "rb") as handle:
        got = list(reading.records(handle, encoding="utf-8", delimiter=",", offset=found.data_offset, line=1))
    assert got[0].cells is None and "longer than" in got[0].error
    assert (got[1].line, got[1].cells) == (3, ["Bob", "b@example.com"])


def test_a_quoted_cell_over_the_field_limit_across_long_lines_is_one_rejected_row_and_the_next_row_is_read(
    tmp_path,
):
    """Issue 17: the csv module gave up inside the cell and its tail became a contact named `A"`."""
    long = "A" * 100_000  # three lines, each under MAX_LINE, together over csv.field_size_limit()
    data = f'Name,E-mail\nAnn,ann@example.com\n"{long}\n{long}\n{long}\nA",x@example.com\nBob,bob@example.com\n'
    file, found = layout(data.encode(), tmp_path)
    got = read_all(file, found)
    assert [(r.line, r.end_line, r.cells) for r in got] == [
        (2, 2, ["Ann", "ann@example.com"]),
        (3, 6, None),
        (7, 7, ["Bob", "bob@example.com"]),
    ]
    assert got[1].error == "This row cannot be read as CSV: a cell is longer than 131,072 characters."


def test_a_quoted_cell_over_lines_longer_than_the_limit_is_skipped_to_its_real_end(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE", 64)
    long = "A" * 200  # each line of the cell is cut in pieces; the quote closes in the last one
    data = (
        f'Name,E-mail\n"{long}\n{long}\n{long}A",x@example.com\nBob,"b@example.com"\n"Cy ""C"" Diaz",cy@example.com\n'
    )
    file, found = layout(data.encode(), tmp_path)
    got = read_all(file, found)
    assert [(r.line, r.end_line, r.cells) for r in got] == [
        (2, 4, None),
        (5, 5, ["Bob", "b@example.com"]),
        (6, 6, ['Cy "C" Diaz', "cy@example.com"]),
    ]
    assert got[0].error == "Line 2 is longer than 0 KB."  # MAX_LINE // 1024 with the test's tiny limit


def test_a_row_over_the_line_or_size_limit_is_rejected_whole_and_reading_resumes_after_it(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_RECORD_LINES", 3)
    data = 'Name,Note\n"Ann","a\nb\nc\nd\ne"\nBob,"x\ny"\n'
    file, found = layout(data.encode(), tmp_path)
    got = read_all(file, found)
    assert [(r.line, r.end_line, r.cells) for r in got] == [(2, 6, None), (7, 8, ["Bob", "x\ny"])]
    assert got[0].error == "This row runs over more than 3 lines: is a quote left open?"
    monkeypatch.setattr(reading, "MAX_RECORD_LINES", 50)
    monkeypatch.setattr(reading, "MAX_RECORD", 16)
    got = read_all(file, found)
    assert [(r.line, r.cells, r.error) for r in got][0] == (2, None, "This row is longer than 0 KB.")
    assert got[1].cells == ["Bob", "x\ny"]


def test_reading_from_the_end_of_any_row_gives_the_same_rows_as_reading_on(tmp_path, monkeypatch):
    """What a chunk resumes from: a broken row's end is a real row boundary."""
    monkeypatch.setattr(reading, "MAX_LINE", 64)
    long = "B" * 150
    data = (
        f'Name,E-mail\nAnn,a@example.com\n"{long}\n{long}",b@example.com\nCy,c@example.com\n'
        f'"Dee\nFox",d@example.com\n{long},e@example.com\nFay,f@example.com\n'
    ).encode()
    file, found = layout(data, tmp_path)
    whole = read_all(file, found)
    assert [(r.line, r.cells and r.cells[0]) for r in whole] == [
        (2, "Ann"),
        (3, None),
        (5, "Cy"),
        (6, "Dee\nFox"),
        (8, None),
        (9, "Fay"),
    ]
    with open(file.path, "rb") as handle:
        for i, row in enumerate(whole):
            rest = list(
                reading.records(handle, encoding="utf-8", delimiter=",", offset=row.end_offset, line=row.end_line)
            )
            assert rest == whole[i + 1 :]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_rows_end_where_the_csv_module_ends_them(delimiter, tmp_path):
    """The reader finds each row's end itself; on well-formed and odd but readable quoting alike
    it must agree with the csv module reading the whole file."""
    table = [
        ["Name", "Size", "Note"],
        ["Ann", '5" pipe', "quote inside a plain cell"],
        ['Bob "B"', "x", 'ends with a quote"'],
        ["Cy", "a\nb", 'two\r\nlines, "quoted"'],
        ["", "", ""],
        ["Dee", delimiter, '""'],
        ["Eve", "", "last"],
    ]
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(table)
    text = out.getvalue() + f'Fay{delimiter}"ab"cd{delimiter}"x""y"\n'  # after a closing quote: read on
    file, found = layout(text.encode(), tmp_path)
    expected = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(row)][1:]
    assert [r.cells for r in read_all(file, found)] == expected


def test_an_empty_file_is_refused(tmp_path):
    assert refusal(b"", tmp_path) == "The file is empty."
    assert refusal(b"\n\r\n  \n", tmp_path) == "The file is empty."


def test_a_header_with_no_rows_is_refused(tmp_path):
    assert "a header but no rows" in refusal(b"First name,E-mail\n,\n\n", tmp_path)


@pytest.mark.parametrize(
    "data,says",
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"name,email\n\x00\x00\x00\x01\x02binary\x00", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
    ],
)
def test_a_binary_file_is_refused(data, says, tmp_path):
    assert says in refusal(data, tmp_path)


def test_a_file_over_the_limit_is_refused_and_not_kept(tmp_path):
    with pytest.raises(reading.FileTooLarge):
        stored(b"E-mail\n" + b"a@example.com\n" * 100, tmp_path, max_bytes=500)
    assert list(tmp_path.iterdir()) == []


def test_a_headerless_file_of_addresses_is_refused_with_why(tmp_path):
    assert "names its columns" in refusal(b"ann@example.com,Ann\nbob@example.com,Bob\n", tmp_path)
