"""Reading an uploaded file: encodings, delimiters, headers, and what is refused outright."""

import codecs

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
        (b"Nom,E-mail\nRen\xe9 \x81,rene@example.com\n", "latin-1", "Latin-1"),
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
    assert row.cells[0].startswith("Ren") and row.line == 2
    if detected != "Latin-1":
        assert row.cells[0].startswith("René")


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
