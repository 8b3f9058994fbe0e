"""Reading a CSV file someone uploaded: its encoding, its delimiter, its header, then its rows
from any byte offset, so an import is read in chunks and resumes where its last chunk ended.

- The upload is copied once under CRM_IMPORTS_DIR/uploads while it is read: that pass refuses
  what is not CSV text (empty, a workbook, binary, too big), decides the encoding (UTF-8 with or
  without a BOM; else Windows-1252; else Latin-1, which reads any byte; UTF-16 with a BOM is
  stored as UTF-8) and counts line breaks for a first estimate of the rows. A BOM is not stored.
- The delimiter is the one of comma, semicolon, tab and pipe that splits the first lines into
  the same number of cells, more than one.
- Rows are read with the csv module from the stored bytes, line by line (at most MAX_LINE bytes
  a line), so memory stays flat whatever the file's size; after each row the reader knows the
  byte offset and line number reached. Bytes that are not text in the encoding are kept as
  surrogates and refused per cell (imports.fields), never for the whole file.
"""

from __future__ import annotations

import codecs
import csv
import secrets
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError

SAMPLE = 64 * 1024  # what the delimiter is sniffed from
READ = 1024 * 1024  # the copy's block size
MAX_LINE = 1024 * 1024  # a longer physical line is a row error, not a memory spike
MAX_RECORD_LINES = 50  # a row whose quoted cells run over more lines has a quote left open
MAX_COLUMNS = 200
MAX_HEADER_CELL = 200
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1 (ISO 8859-1)"}
TOO_LONG = "\ufdd0too-long\ufdd0"  # a noncharacter no real text holds: stands for a line cut short

SIGNATURES = (
    (b"PK\x03\x04", "an Excel or OpenDocument workbook (a zip file)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97–2003 workbook (.xls)"),
    (b"%PDF", "a PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xff\xfe\x00\x00", "UTF-32 text"),
    (b"\x00\x00\xfe\xff", "UTF-32 text"),
)
CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")  # the only bytes Windows-1252 lacks
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


class FileTooLarge(Exception):
    """The upload passed CRM_IMPORT_MAX_BYTES (HTTP 413)."""


@dataclass
class StoredFile:
    """An upload copied under the imports folder, and what was learned reading it."""

    path: Path
    size: int
    detected_encoding: str  # for people: "UTF-8 with BOM", "Windows-1252"…
    encoding: str  # the codec its rows are read with
    newlines: int
    ends_with_newline: bool


@dataclass
class Layout:
    """How the rows of a stored file are laid out."""

    delimiter: str
    header: list[str]
    data_offset: int
    header_lines: int
    rows_estimate: int


@dataclass
class Record:
    line: int  # the physical line it starts on (the header is line 1)
    cells: list[str] | None  # None: unreadable, see error
    end_offset: int  # the byte after it
    end_line: int  # its last physical line
    error: str = ""


def _blocks(upload):
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        yield from upload.chunks(READ)
        return
    while block := upload.read(READ):
        yield block


def _check_head(head: bytes) -> None:
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise refuse(f"This is {what}, not a CSV file. Save it as CSV (UTF-8, comma delimited) and upload that.")
    sample = head[:SAMPLE]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # UTF-16 text: every other byte is NUL
    if b"\x00" in sample:
        raise refuse(
            "This file holds binary data (NUL bytes), not CSV text. If it is a spreadsheet, save it as "
            "CSV (UTF-8) and upload that."
        )
    controls = sum(sample.count(bytes([b])) for b in _CONTROL)
    if controls > max(8, len(sample) // 100):
        raise refuse("This file holds binary data, not CSV text: is it the right file?")


def store_upload(upload, *, folder: Path, max_bytes: int) -> StoredFile:
    """Copy an upload (a Django UploadedFile or any binary file object) under `folder`, reading
    it once: refused with a field error on `file` when it is no CSV text, FileTooLarge past
    `max_bytes`. Nothing is left on disk when it is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}.csv"
    blocks = _blocks(upload)
    head = next(blocks, b"")
    if not head.strip(b"\xef\xbb\xbf\xff\xfe \t\r\n"):
        raise refuse("The file is empty.")
    _check_head(head)
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    bom = head.startswith(codecs.BOM_UTF8)
    if bom:
        head = head[len(codecs.BOM_UTF8) :]
    transcoder = codecs.getincrementaldecoder("utf-16")() if utf16 else None
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = cp1252_ok = True
    cr_only = b"\r" in head[:SAMPLE] and b"\n" not in head[:SAMPLE] and not utf16
    size = newlines = 0
    last = b""
    try:
        with open(path, "wb") as out:
            for block in _chain(head, blocks):
                if transcoder is not None:
                    try:
                        block = transcoder.decode(block).encode("utf-8", "surrogateescape")
                    except UnicodeDecodeError:
                        raise refuse("This file starts as UTF-16 text but is not: save it as CSV (UTF-8).") from None
                if cr_only:
                    block = block.replace(b"\r", b"\n")
                size += len(block)
                if size > max_bytes:
                    raise FileTooLarge
                if utf8_ok:
                    try:
                        utf8.decode(block)
                    except UnicodeDecodeError:
                        utf8_ok = False
                if cp1252_ok and any(byte in block for byte in CP1252_UNDEFINED):
                    cp1252_ok = False
                newlines += block.count(b"\n")
                if block:
                    last = block[-1:]
                out.write(block)
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if utf16:
        detected, encoding = "UTF-16", "utf-8"
    elif utf8_ok:
        detected, encoding = ("UTF-8 with BOM" if bom else "UTF-8"), "utf-8"
    elif cp1252_ok:
        detected, encoding = "Windows-1252", "cp1252"
    else:
        detected, encoding = "Latin-1", "latin-1"
    return StoredFile(path, size, detected, encoding, newlines, last == b"\n")


def _chain(head, blocks):
    yield head
    yield from blocks


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the sample's lines into one same number (> 1) of cells."""
    best, best_score = ",", (0.0, 0)
    lines = text.splitlines()[:50]
    if not lines:
        return best
    for delimiter in DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if any(cell.strip() for cell in row)]
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(widths), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def records(handle, *, encoding: str, delimiter: str, offset: int, line: int):
    """The rows of a stored file from byte `offset` (which is line `line` + 1), each with the
    offset and line reached after it. Blank rows (no text in any cell) are passed over."""
    handle.seek(offset)
    reached = [offset, line]

    def physical_lines():
        while raw := handle.readline(MAX_LINE):
            if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
                skipped = len(raw)
                while more := handle.readline(MAX_LINE):
                    skipped += len(more)
                    if more.endswith(b"\n"):
                        break
                reached[0] += skipped
                reached[1] += 1
                yield TOO_LONG + "\n"
                continue
            reached[0] += len(raw)
            reached[1] += 1
            yield raw.decode(encoding, "surrogateescape")

    reader = csv.reader(physical_lines(), delimiter=delimiter)
    while True:
        start = reached[1] + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(start, None, reached[0], reached[1], f"This row cannot be read as CSV: {exc}.")
            continue
        if any(TOO_LONG in cell for cell in cells):
            yield Record(start, None, reached[0], reached[1], f"This line is longer than {MAX_LINE // 1024} KB.")
            continue
        if reached[1] - start + 1 > MAX_RECORD_LINES:
            yield Record(start, None, reached[0], reached[1], "A quote opened in this row is never closed.")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        yield Record(start, cells, reached[0], reached[1])


def read_layout(stored: StoredFile, *, delimiter: str | None = None) -> Layout:
    """The delimiter (sniffed unless given), the header and where the rows begin; refused with a
    field error on `file` when there is no header or no row after it."""
    with open(stored.path, "rb") as handle:
        sample = handle.read(SAMPLE)
        if len(sample) == SAMPLE and b"\n" in sample:
            sample = sample[: sample.rindex(b"\n") + 1]
        delimiter = delimiter or sniff_delimiter(sample.decode(stored.encoding, "replace"))
        rows = records(handle, encoding=stored.encoding, delimiter=delimiter, offset=0, line=0)
        first = next(rows, None)
        if first is None:
            raise refuse("The file is empty.")
        if first.cells is None:
            raise refuse(f"The first line (the header) cannot be read: {first.error}")
        header = [cell.strip() for cell in first.cells]
        if len(header) > MAX_COLUMNS:
            raise refuse(f"The header has {len(header)} columns; at most {MAX_COLUMNS} are read.")
        if any(len(name) > MAX_HEADER_CELL for name in header):
            raise refuse(f"A column name is longer than {MAX_HEADER_CELL} characters: is the first line a header?")
        if any("\x00" in name or any("\udc80" <= ch <= "\udcff" for ch in name) for name in header):
            raise refuse(f"The header is not {ENCODINGS.get(stored.encoding, stored.encoding)} text.")
        if any("@" in name and "." in name.split("@")[-1] for name in header):
            raise refuse(
                "The first line holds an e-mail address: the file needs a first line that names its "
                "columns (First name, Last name, E-mail…)."
            )
        if next(rows, None) is None:
            raise refuse("The file has a header but no rows.")
    header_lines = first.end_line
    estimate = stored.newlines + (0 if stored.ends_with_newline else 1) - header_lines
    return Layout(delimiter, header, first.end_offset, header_lines, max(estimate, 1))
