"""Reading a CSV file someone uploaded: its encoding, its delimiter, its header, then its rows
from any byte offset, so an import is read in chunks and resumes where its last chunk ended.

- The upload is copied once under CRM_IMPORTS_DIR/uploads while it is read: that pass refuses
  what is not CSV text (empty, a workbook, binary, too big), checks whether it is UTF-8 (UTF-16
  with a BOM is stored as UTF-8) and counts line breaks for a first estimate of the rows. A BOM
  is not stored.
- The encoding is decided for the whole file, and honestly: a file that is valid UTF-8 is UTF-8.
  One that is not but holds lines that are (non-ASCII, valid UTF-8: a list pasted together from
  two exports) is still UTF-8, and its other lines are not guessed at; else it is Windows-1252.
  Every line that is not text in the file's encoding makes its row a rejected row, with its line
  number and why, never a row of mojibake ("JosÃ©"): in UTF-8, invalid bytes; in Windows-1252,
  the five bytes it lacks; in Latin-1 (chosen by hand), its control codes 0x80–0x9F; and in
  either of those two, a line that is UTF-8 (reading it otherwise would garble it). How many
  such lines a file has is counted at upload and on every change of encoding, so the page says
  so before anything starts.
- The delimiter is the one of comma, semicolon, tab and pipe that splits the first lines into
  the same number of cells, more than one.
- Rows are read from the stored bytes, line by line (at most MAX_LINE bytes a line), so memory
  stays flat whatever the file's size: the reader finds where each row ends itself (quotes open
  and close over lines as the csv module would read them), then the csv module splits the row
  into cells. After each row the reader knows the byte offset and line number reached, so the
  next chunk starts exactly at the next row. A row that breaks a limit is rejected whole and
  reading resumes at the row after it (see `records`).
"""

from __future__ import annotations

import codecs
import csv
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError

SAMPLE = 64 * 1024  # what the delimiter is sniffed from
READ = 1024 * 1024  # the copy's block size
MAX_LINE = 1024 * 1024  # a longer physical line is a row error, not a memory spike
MAX_RECORD = 1024 * 1024  # a longer row (all its lines) is a row error
MAX_RECORD_LINES = 50  # a row whose quoted cells run over more lines has a quote left open
MAX_COLUMNS = 200
MAX_HEADER_CELL = 200
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1 (ISO 8859-1)"}

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
_LATIN1_CONTROLS = re.compile("[\x80-\x9f]")  # Latin-1's C1 control codes: never text in a list
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
    unreadable_lines: int = 0  # lines that are not text in `encoding`: their rows are rejected
    first_unreadable_line: int | None = None


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
    utf8_ok = True
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
    stored = StoredFile(path, size, "", "utf-8", newlines, last == b"\n")
    if utf16:
        stored.detected_encoding = "UTF-16"
    elif utf8_ok:
        stored.detected_encoding = "UTF-8 with BOM" if bom else "UTF-8"
    else:
        # Not UTF-8 throughout. Lines that are UTF-8 (beyond ASCII) say the file is UTF-8 with
        # lines in something else; without any, Windows-1252 reads Western European lists.
        utf8_lines = has_utf8_lines(path)
        stored.encoding = "utf-8" if utf8_lines else "cp1252"
        stored.detected_encoding = ("UTF-8 with BOM" if bom else "UTF-8") if utf8_lines else "Windows-1252"
        count_unreadable(stored)
    return stored


def _chain(head, blocks):
    yield head
    yield from blocks


def _lines(path: Path):
    """(line number, bytes) of each physical line that fits in MAX_LINE (longer ones are
    rejected by `records` for their length, whatever their bytes)."""
    number = 0
    with open(path, "rb") as handle:
        while raw := handle.readline(MAX_LINE):
            if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
                while more := handle.readline(MAX_LINE):
                    if more.endswith(b"\n"):
                        break
                number += 1
                continue
            number += 1
            yield number, raw


def has_utf8_lines(path: Path) -> bool:
    """Whether any line of the file goes beyond ASCII and is valid UTF-8."""
    return any(not raw.isascii() and _is_utf8(raw) for _number, raw in _lines(path))


def count_unreadable(stored: StoredFile) -> StoredFile:
    """Count the lines of the stored file that are not text in its encoding (see `decode`)."""
    stored.unreadable_lines, stored.first_unreadable_line = 0, None
    for number, raw in _lines(stored.path):
        if not raw.isascii() and decode(raw, stored.encoding)[1]:
            stored.unreadable_lines += 1
            stored.first_unreadable_line = stored.first_unreadable_line or number
    return stored


def decode(raw: bytes, encoding: str) -> tuple[str, str]:
    """A physical line as text, and why it is not text in `encoding` ("" when it is). The text
    of a line that is not keeps its bad bytes as surrogates, so that the csv module still finds
    where its row ends; that row is then rejected whole (see `records`)."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        why = f"byte 0x{raw[exc.start]:02X} at byte {exc.start + 1} of the line cannot be read"
        if encoding == "utf-8" and _is_cp1252(raw):
            why += " (the line looks like Windows-1252)"
        return raw.decode(encoding, "surrogateescape"), why
    if encoding == "latin-1" and (control := _LATIN1_CONTROLS.search(text)):
        return text, f"byte 0x{ord(control.group()):02X} is a control code in Latin-1, not a letter"
    if encoding != "utf-8" and not raw.isascii() and _is_utf8(raw):
        return text, f"it is UTF-8 text, and reading it as {ENCODINGS.get(encoding, encoding)} would garble its letters"
    return text, ""


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_cp1252(raw: bytes) -> bool:
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def unreadable_message(line: int, encoding: str, why: str) -> str:
    return (
        f"Line {line} is not {ENCODINGS.get(encoding, encoding)} text: {why}. The row was left out rather "
        "than guessed at: correct the line, or save the whole file as UTF-8, and import it again."
    )


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


# Where a row ends, as the csv module would find it (its default dialect: `"` quotes a cell when
# it opens it, `""` is a quote inside one, a quote anywhere else is a plain character), but
# read from the bytes by the reader itself: a row broken past a limit is then skipped whole,
# to its real end, instead of the csv module giving up half way and reading its tail as rows.
# The states: a cell begins; in a plain cell; in a quoted one; just after a quote in a quoted one.
_START, _FIELD, _QUOTED, _AFTER_QUOTE = range(4)
_QUOTE = ord('"')
_LINE_ENDS = (ord("\n"), ord("\r"))


def _quote_state(raw: bytes, state: int, delimiter: bytes) -> int:
    """The state after reading `raw` in `state`; a row goes on past a line's end only _QUOTED."""
    if b'"' not in raw:  # most lines: no quote to open or close
        if state == _QUOTED:
            return _QUOTED
        last = raw[-1]
        return _START if last == delimiter[0] or last in _LINE_ENDS else _FIELD
    i, n = 0, len(raw)
    while i < n:
        if state == _QUOTED:
            j = raw.find(b'"', i)
            if j < 0:
                return _QUOTED
            state, i = _AFTER_QUOTE, j + 1
            continue
        c = raw[i]
        if state == _AFTER_QUOTE:  # "" is a quote in the cell; else the quoted part ended
            state = _QUOTED if c == _QUOTE else _START if c == delimiter[0] or c in _LINE_ENDS else _FIELD
            i += 1
            continue
        if state == _START:
            if c == _QUOTE:
                state, i = _QUOTED, i + 1
                continue
            if c == delimiter[0] or c in _LINE_ENDS:
                i += 1
                continue
            state = _FIELD
        j = raw.find(delimiter, i)  # _FIELD: a quote here is a plain character
        if j < 0:
            return _FIELD
        state, i = _START, j + 1
    return state


def records(handle, *, encoding: str, delimiter: str, offset: int, line: int):
    """The rows of a stored file from byte `offset` (which is line `line` + 1), each with the
    offset and line reached after it. Blank rows (no text in any cell) are passed over.

    A row is found line by line (see _quote_state), then its text is split into cells by the
    csv module. A row that breaks a limit (a line over MAX_LINE bytes, a row over MAX_RECORD
    bytes or MAX_RECORD_LINES lines, a cell over the csv module's field_size_limit, a quote
    never closed) or holds a line that is not text in `encoding` is one rejected row, with its
    line and why: its text is not kept past the limit, the lines up to its real end are read
    and passed over, and the next row starts where it really starts. Nothing of it is read as
    cells."""
    handle.seek(offset)
    separator = delimiter.encode()
    while True:
        start = line + 1
        state, texts, size, problem, unreadable = _START, [], 0, "", None
        read = cut = False
        while raw := handle.readline(MAX_LINE):
            read = True
            offset += len(raw)
            if state != _QUOTED and b'"' not in raw and raw.endswith(b"\n"):
                state = _START  # the common line: a whole row, no quote to open or close
            else:
                state = _quote_state(raw, state, separator)
            if len(raw) == MAX_LINE and not raw.endswith(b"\n"):  # a piece of a line too long to keep
                cut = True
                problem = problem or f"Line {line + 1} is longer than {MAX_LINE // 1024} KB."
                continue
            line += 1
            if cut:
                cut, texts = False, None
            if texts is not None:
                size += len(raw)
                if size > MAX_RECORD:
                    problem, texts = f"This row is longer than {MAX_RECORD // 1024} KB.", None
                elif line - start + 1 > MAX_RECORD_LINES:
                    problem, texts = (
                        f"This row runs over more than {MAX_RECORD_LINES} lines: is a quote left open?",
                        None,
                    )
                else:
                    text, why = decode(raw, encoding)
                    if why and unreadable is None:
                        unreadable = (line, why)
                    texts.append(text)
            if state != _QUOTED:
                break
        if not read:
            return
        if cut:  # the file ended within a line too long to keep
            line += 1
        if state == _QUOTED:  # the file ended inside a quoted cell
            problem = "A quote opened in this row is never closed: the rest of the file is in its cell."
        if problem:
            yield Record(start, None, offset, line, problem)
            continue
        if unreadable is not None:
            yield Record(start, None, offset, line, unreadable_message(unreadable[0], encoding, unreadable[1]))
            continue
        try:
            cells = next(csv.reader(texts, delimiter=delimiter), [])
        except csv.Error as exc:
            why = (
                f"a cell is longer than {csv.field_size_limit():,} characters"
                if "field limit" in str(exc)
                else str(exc)
            )
            yield Record(start, None, offset, line, f"This row cannot be read as CSV: {why}.")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        yield Record(start, cells, offset, line)


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
