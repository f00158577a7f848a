"""Read a text PDF into a :class:`Layout` with pdfplumber.

Fields come from ``find_tables()`` cells, never from page text (page text interleaves the
narrow label column with the values). Fake-bold text is de-duplicated first.
"""

from __future__ import annotations

import io
import re

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from .model import Layout, Row
from .text import clean

_PAGE_NUMBER = re.compile(r"^[-—\s]*(第\s*)?\d{1,3}(\s*页)?(\s*/\s*(共\s*)?\d{1,3}\s*页?)?[-—\s]*$")


class NoTextLayer(Exception):
    """The PDF has pages but no characters: it is a scan and needs OCR."""

    def __init__(self, message: str, pages: int | None = None) -> None:
        super().__init__(message)
        self.pages = pages


class Encrypted(Exception):
    """The PDF needs a password."""


def _is_password_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (PDFPasswordIncorrect, PDFEncryptionError)) or any(
            isinstance(a, (PDFPasswordIncorrect, PDFEncryptionError))
            for a in getattr(seen, "args", ())
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _line_columns(page, cells: list) -> list[list[str]]:
    """Visual lines of a multi-column value, columns aligned by vertical position."""
    lines: list[tuple[float, int, str]] = []
    for col, bbox in enumerate(cells):
        if bbox is None:
            continue
        for item in page.crop(bbox).extract_text_lines(strip=True):
            if item["text"].strip():
                lines.append((item["top"], col, item["text"].strip()))
    lines.sort()
    ncols = len(cells)
    out: list[tuple[float, list[str]]] = []
    for top, col, text in lines:
        if out and abs(out[-1][0] - top) < 3 and not out[-1][1][col]:
            out[-1][1][col] = text
        else:
            row = [""] * ncols
            row[col] = text
            out.append((top, row))
    return [row for _, row in out]


def _rows_of(page, table) -> list[Row]:
    rows = []
    texts = table.extract()
    for trow, cells in zip(table.rows, texts, strict=False):
        cells = [clean(c) for c in cells]
        boxes = list(trow.cells)
        label = cells[0] if cells else ""
        values = [
            (box, text) for box, text in zip(boxes[1:], cells[1:], strict=False) if box is not None
        ]
        if sum(1 for _, text in values if text) > 1:
            lines = _line_columns(page, [box for box, _ in values])
        else:
            value = next((text for _, text in values if text), "")
            lines = [[line] for line in value.split("\n") if line.strip()]
        rows.append(Row(label=label, lines=lines, cells=cells))
    return rows


def _text_lines(page) -> list[str]:
    text = clean(page.extract_text() or "")
    return [line for line in text.split("\n") if line and not _PAGE_NUMBER.match(line)]


def read_pdf(data: bytes) -> Layout:
    """Read PDF bytes. Raises NoTextLayer, Encrypted, or pdfminer/pdfplumber errors."""
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages
    except Exception as exc:
        if _is_password_error(exc):
            raise Encrypted("a password is needed to open it") from exc
        raise
    with pdf:
        layout = Layout(format="pdf", pages=len(pdf.pages))
        seen_table = False
        has_chars = False
        for page in pdf.pages:
            page = page.dedupe_chars()
            if page.chars:
                has_chars = True
            tables = sorted(page.find_tables(), key=lambda t: t.bbox[1])
            if not tables:
                (layout.trailer if seen_table else layout.header).extend(_text_lines(page))
                continue
            if not seen_table:
                top = tables[0].bbox[1]
                if top > 1:
                    layout.header.extend(_text_lines(page.crop((0, 0, page.width, top))))
            seen_table = True
            # text between tables is page furniture: keep only the text after the last one
            layout.trailer = []
            for table in tables:
                layout.rows.extend(_rows_of(page, table))
            bottom = tables[-1].bbox[3]
            if bottom < page.height - 1:
                layout.trailer.extend(_text_lines(page.crop((0, bottom, page.width, page.height))))
        if layout.pages and not has_chars:
            raise NoTextLayer(
                f"no text layer in {layout.pages} page(s) (scanned PDF): needs OCR", layout.pages
            )
    return layout
