"""Printable letters as PDF, written page by page as they go.

A batch of 10,000 letters becomes one PDF for the mail house. ReportLab's canvas keeps every
page in memory until it saves (about 6 KB a page: 93 MB at 10,000) and merging with pypdf is
worse (167 MB), so this writer streams instead: each page is written to the file as soon as it
is laid out, and only the objects' byte offsets (a few bytes a page) are kept for the index at
the end. ReportLab is still what measures the text (Helvetica's metrics) to wrap it.

Text uses the standard Helvetica fonts in WinAnsi (cp1252) encoding: every Western European
letter prints; a character outside it prints as "?".
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import segno
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

WIDTH, HEIGHT = 612, 792  # US Letter, in points
MARGIN = 72
BODY_SIZE, LEADING = 11, 15
BOTTOM = 110  # the body stops here; the response code (and the QR code) sit below
QR_SIZE = 64  # points: a little under an inch, scannable from a phone at reading distance
# Any of the eight mask patterns is a valid code; scoring all eight to pick the best costs 2 ms a
# letter (20 s a 10,000-letter batch) against 0.4 ms for one, for no difference a phone notices.
QR_MASK = 0
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"
FONT_OBJECTS = {REGULAR: ("F1", 3), BOLD: ("F2", 4)}


@dataclass(frozen=True)
class LetterContent:
    sender: str
    date: str
    address: list[str]
    subject: str
    body: str
    code: str  # as printed: K7Q4-MZPX
    footer: str = "Mention this code when you call us or answer this letter."
    qr_url: str = ""  # the letter's own tracked address, printed as a QR code (tracking.links)
    forward_url: str = ""  # its forward form, for someone who might need it


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    out = bytearray()
    for byte in raw:
        if byte in (0x28, 0x29, 0x5C):  # ( ) \
            out += b"\\" + bytes([byte])
        elif byte < 32 or byte > 126:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out)


class _Page:
    def __init__(self):
        self.ops: list[bytes] = []

    def text(self, x: float, y: float, text: str, *, font: str = REGULAR, size: float = BODY_SIZE, grey=False):
        name = FONT_OBJECTS[font][0]
        colour = b"0.4 g " if grey else b""
        self.ops.append(
            b"BT %s/%s %g Tf %.2f %.2f Td (%s) Tj ET%s"
            % (colour, name.encode(), size, x, y, _pdf_text(text), b" 0 g" if grey else b"")
        )

    def qr(self, x: float, y: float, url: str, size: float = QR_SIZE) -> None:
        """A QR code of `url` with its lower-left corner at (x, y): each row's runs of dark
        modules as filled rectangles (no image, a few hundred bytes a page)."""
        matrix = segno.make(url, error="m", micro=False, mask=QR_MASK).matrix
        module = size / len(matrix)
        rects = []
        for row_number, row in enumerate(matrix):
            top = y + size - (row_number + 1) * module
            column = 0
            while column < len(row):
                if row[column]:
                    start = column
                    while column < len(row) and row[column]:
                        column += 1
                    rects.append(
                        b"%.2f %.2f %.2f %.2f re" % (x + start * module, top, (column - start) * module, module)
                    )
                else:
                    column += 1
        self.ops.append(b"0 g " + b" ".join(rects) + b" f")

    def stream(self) -> bytes:
        return zlib.compress(b"\n".join(self.ops), 6)


def layout(letter: LetterContent) -> list[_Page]:
    """The pages of one letter: letterhead, date, address, subject, body, and the response
    code at the foot of every page."""
    pages = [_Page()]
    page = pages[0]
    right = WIDTH - MARGIN
    y = HEIGHT - MARGIN
    page.text(MARGIN, y, letter.sender, font=BOLD, size=14)
    page.text(right - stringWidth(letter.date, REGULAR, 10), y, letter.date, size=10)
    y -= 44
    for line in letter.address:
        page.text(MARGIN, y, line)
        y -= 14
    y -= 22
    for line in simpleSplit(letter.subject, BOLD, 12, right - MARGIN):
        page.text(MARGIN, y, line, font=BOLD, size=12)
        y -= 16
    y -= 10
    for paragraph in letter.body.split("\n"):
        lines = simpleSplit(paragraph, REGULAR, BODY_SIZE, right - MARGIN) or [""]
        for line in lines:
            if y < BOTTOM:
                page = _Page()
                pages.append(page)
                y = HEIGHT - MARGIN
            page.text(MARGIN, y, line)
            y -= LEADING
    for number, each in enumerate(pages, start=1):
        each.text(MARGIN, 66, f"Your response code: {letter.code}", font=BOLD)
        suffix = f"   Page {number} of {len(pages)}" if len(pages) > 1 else ""
        each.text(MARGIN, 50, letter.footer + suffix, size=8, grey=True)
    if letter.forward_url:
        pages[0].text(MARGIN, 38, f"Know someone who could use this? {letter.forward_url}", size=8, grey=True)
    if letter.qr_url:
        pages[0].qr(right - QR_SIZE, 40, letter.qr_url)
        caption = "Scan to answer"
        pages[0].text(right - QR_SIZE / 2 - stringWidth(caption, REGULAR, 7) / 2, 31, caption, size=7, grey=True)
    return pages


class LetterPdf:
    """Writes letters into one PDF on `out` as they come: `add` each, then `close`."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.position = 0
        self.offsets: list[int] = [0, 0, 0, 0, 0]  # objects 1–4, written first (3, 4) or last (1, 2)
        self.kids: list[int] = []
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        for font, (_name, number) in FONT_OBJECTS.items():
            self._object(
                number, b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % font.encode()
            )

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def _object(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        while len(self.offsets) <= number:
            self.offsets.append(0)
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n%s\n" % (number, body))
        if stream is not None:
            self._write(b"stream\n" + stream + b"\nendstream\n")
        self._write(b"endobj\n")

    def add(self, letter: LetterContent) -> int:
        """Write one letter's pages; returns how many pages it took."""
        pages = layout(letter)
        for page in pages:
            number = len(self.offsets)
            content = page.stream()
            self._object(number + 1, b"<< /Length %d /Filter /FlateDecode >>" % len(content), content)
            self._object(
                number,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
                b"/Contents %d 0 R >>" % (WIDTH, HEIGHT, number + 1),
            )
            self.kids.append(number)
        return len(pages)

    def close(self) -> None:
        kids = b" ".join(b"%d 0 R" % kid for kid in self.kids)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.kids)))
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        xref = self.position
        entries = [b"0000000000 65535 f \n"] + [b"%010d 00000 n \n" % offset for offset in self.offsets[1:]]
        self._write(b"xref\n0 %d\n" % len(self.offsets) + b"".join(entries))
        self._write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(self.offsets), xref))


def render_one(letter: LetterContent) -> bytes:
    buffer = io.BytesIO()
    pdf = LetterPdf(buffer)
    pdf.add(letter)
    pdf.close()
    return buffer.getvalue()
