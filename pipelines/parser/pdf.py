"""Read a text PDF into a :class:`Layout`: table rows from rulings, free text around them.

Each page is read once (:mod:`pdfpage`, PDFium); rows come from the rulings (:mod:`grid`).
Text outside the tables after the first one is kept as free rows (content that runs on
below the table or on pages with no table, appendices); page numbers and running headers
and footers are dropped.
"""

from __future__ import annotations

import re
from collections import Counter

import pypdfium2 as pdfium

from .grid import Band, Line, read_tables, text_lines
from .model import Layout, Row
from .pdfpage import Page, read_pages
from .text import clean

# A page OCR read with a lower mean character score gets a warning. (ocr.py, with numpy and the
# OCR engine, is imported only for a page that needs it.)
LOW_CONFIDENCE = 0.8
_PAGE_NUMBER = re.compile(
    r"^[-—–\s]*(第\s*)?\d{1,3}(\s*页)?(\s*/\s*(共\s*)?\d{1,3}\s*页?)?[-—–\s]*$"
    r"|^第\s*\d{1,3}\s*页\s*[,，]?\s*共\s*\d{1,3}\s*页$|^page\s*\d+(\s*of\s*\d+)?$",
    re.I,
)
_MARGIN = 0.075  # share of the page height at the top and bottom where furniture lives
# Records have 1 to 30 pages; past this many only the first are read (a warning says so), so a
# PDF of 100,000 pages costs what 500 do.
MAX_PAGES = 500


class NoTextLayer(Exception):
    """The PDF has pages but no characters, and OCR read none either."""

    def __init__(self, message: str, pages: int | None = None, ocr_pages: int = 0) -> None:
        super().__init__(message)
        self.pages, self.ocr_pages = pages, ocr_pages


class Encrypted(Exception):
    """The PDF needs a password."""


class Corrupt(Exception):
    """PDFium cannot read the file as a PDF."""


def _cell_text(lines: list[Line]) -> str:
    return "\n".join(clean(line.text) for line in lines if clean(line.text))


def _band_row(band: Band, ruled_above: bool) -> Row:
    lines: list[list[str]] = []
    for subrow in band.value:
        if len(subrow) == 1:
            lines.extend([clean(line.text)] for line in subrow[0] if clean(line.text))
        else:
            lines.append([_cell_text(col) for col in subrow])
    return Row(
        label=_cell_text(band.label),
        lines=lines,
        cells=[clean(c) for c in band.cells],
        ruled_above=ruled_above,
    )


def _furniture(free: list[tuple[Page, list[Line]]]) -> set[str]:
    """Texts of margin lines repeated on several pages (running headers and footers)."""
    seen: Counter[str] = Counter()
    for page, lines in free:
        for key in {_margin_key(page, line) for line in lines} - {None}:
            seen[key] += 1
    return {key for key, n in seen.items() if n >= 2}


def _margin_key(page: Page, line: Line) -> str | None:
    if line.bottom > page.height * _MARGIN and line.top < page.height * (1 - _MARGIN):
        return None
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text))


def read_pdf(data: bytes, max_pages: int | None = None) -> Layout:
    """Read PDF bytes, or the first ``max_pages`` pages of a longer PDF (``layout.pages`` is the
    document's page count, with a warning). Raises NoTextLayer, Encrypted or Corrupt."""
    try:
        pages, total = read_pages(data, max_pages)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Encrypted("a password is needed to open it") from exc
        raise Corrupt(str(exc)) from exc
    layout = Layout(format="pdf", pages=total)
    if len(pages) < total:
        layout.warnings.append(f"PDF has {total} pages; parsed the first {len(pages)}")
    for page in pages:
        if page.ocr_confidence is None:
            continue
        layout.ocr_pages += 1
        if page.ocr_confidence < LOW_CONFIDENCE:
            layout.warnings.append(
                f"page {page.number} read by OCR with low confidence ({page.ocr_confidence:.2f})"
            )
    if pages and not any(page.chars for page in pages):  # OCR read nothing either
        read = f"{total} page(s)" if len(pages) == total else f"the first {len(pages)} pages"
        ocr = f"; OCR of {layout.ocr_pages} page(s) read no text" if layout.ocr_pages else ""
        raise NoTextLayer(f"no text layer in {read} (scanned PDF){ocr}", total, layout.ocr_pages)
    per_page = []
    for page in pages:
        tables, rest = read_tables(page)
        per_page.append((page, tables, text_lines(rest)))
    furniture = _furniture([(page, lines) for page, _, lines in per_page])
    seen_table = False
    for page, tables, lines in per_page:
        items: list[tuple[float, Row]] = []
        for line in lines:
            text = clean(line.text)
            if not text or _PAGE_NUMBER.match(text):
                continue
            if seen_table or tables:
                if _margin_key(page, line) in furniture:
                    continue
                if not seen_table and line.bottom <= tables[0].top:
                    layout.header.append(text)
                    continue
                items.append((line.top, Row(label="", lines=[[text]], free=True)))
            else:
                layout.header.append(text)
        for table in tables:
            for n, band in enumerate(table.bands):
                top = min(
                    [ln.top for ln in band.label]
                    + [ln.top for sub in band.value for col in sub for ln in col]
                    or [table.top]
                )
                items.append((top, _band_row(band, ruled_above=n > 0)))
        seen_table = seen_table or bool(tables)
        items.sort(key=lambda item: item[0])
        for _, row in items:
            if row.free and layout.rows and layout.rows[-1].free:
                layout.rows[-1].lines.extend(row.lines)
            else:
                layout.rows.append(row)
    return layout
