"""One PDF page's characters and ruling lines, read once with pypdfium2.

pdfminer (under pdfplumber) spends most of a parse interpreting pages in Python; PDFium does the
same in C, about ten times faster. Everything the parser needs from a PDF page is here: the
characters with their boxes (top-left origin, like a reader's eye) and the horizontal and
vertical rulings that draw the record table.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from itertools import pairwise

import pypdfium2 as pdfium
import pypdfium2.raw as raw

# A path segment this thin (points) and this long is a ruling, not a drawing.
_THIN = 2.5
_MIN_RULE = 4.0
# Characters closer than this to one of the same glyph are fake-bold duplicates, unless they
# follow it directly: a ligature (ﬀ) or a run (——) gives each of its glyphs the same box.
_DUP = 1.0


@dataclass(slots=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(slots=True)
class Rule:
    """A horizontal (``y``, ``a``..``b`` along x) or vertical (``x``, ``a``..``b`` along y) line."""

    pos: float
    a: float
    b: float


@dataclass
class Page:
    number: int
    width: float
    height: float
    chars: list[Char] = field(default_factory=list)
    hrules: list[Rule] = field(default_factory=list)
    vrules: list[Rule] = field(default_factory=list)
    ocr_confidence: float | None = None  # set when the page was read by OCR (ocr.py)


def _chars(textpage: pdfium.PdfTextPage, height: float) -> list[Char]:
    out: list[Char] = []
    seen: dict[tuple[str, int, int], list[Char]] = {}
    handle = textpage.raw
    rect = raw.FS_RECTF()
    for i in range(textpage.count_chars()):
        code = raw.FPDFText_GetUnicode(handle, i)
        if code < 0x20 or code in (0xFFFE, 0xFFFF) or raw.FPDFText_IsGenerated(handle, i) == 1:
            continue  # control characters, and the spaces and breaks PDFium makes up
        ch = chr(code)
        # the loose box spans the glyph's advance and the font's height: gaps between
        # boxes are then real spaces, not the side bearings of narrow glyphs
        if not raw.FPDFText_GetLooseCharBox(handle, i, rect):
            continue
        left, right, top, bottom = rect.left, rect.right, rect.top, rect.bottom
        if (right <= left and ch != " ") or top <= bottom:
            continue
        char = Char(ch, left, right, height - top, height - bottom)
        key = (ch, int(left // 4), int(char.top // 4))
        duplicate = False
        follows = bool(out) and out[-1].text == ch and abs(out[-1].x0 - left) < _DUP
        for dx in (-1, 0, 1) if not follows else ():
            for dy in (-1, 0, 1):
                for other in seen.get((ch, key[1] + dx, key[2] + dy), ()):
                    if abs(other.x0 - left) < _DUP and abs(other.top - char.top) < _DUP:
                        duplicate = True
        if duplicate:
            continue
        seen.setdefault(key, []).append(char)
        out.append(char)
    return out


def _is_white(obj) -> bool:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not raw.FPDFPageObj_GetFillColor(obj, r, g, b, a):
        return False
    return (r.value > 240 and g.value > 240 and b.value > 240) or a.value == 0


def _path_points(obj, matrix) -> list[list[tuple[float, float]]]:
    """The path's polylines (moveto starts a new one) in page coordinates."""
    x, y = ctypes.c_float(), ctypes.c_float()
    polylines: list[list[tuple[float, float]]] = []
    for k in range(raw.FPDFPath_CountSegments(obj)):
        seg = raw.FPDFPath_GetPathSegment(obj, k)
        kind = raw.FPDFPathSegment_GetType(seg)
        raw.FPDFPathSegment_GetPoint(seg, x, y)
        px = matrix.a * x.value + matrix.c * y.value + matrix.e
        py = matrix.b * x.value + matrix.d * y.value + matrix.f
        if kind == raw.FPDF_SEGMENT_MOVETO or not polylines:
            polylines.append([(px, py)])
        else:
            polylines[-1].append((px, py))
        if raw.FPDFPathSegment_GetClose(seg) and polylines[-1]:
            polylines[-1].append(polylines[-1][0])
    return polylines


def _rules(page: pdfium.PdfPage, height: float) -> tuple[list[Rule], list[Rule]]:
    hrules: list[Rule] = []
    vrules: list[Rule] = []

    def add(x0: float, y0: float, x1: float, y1: float) -> None:
        w, h = abs(x1 - x0), abs(y1 - y0)
        if h <= _THIN and w >= _MIN_RULE:
            hrules.append(Rule(height - (y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif w <= _THIN and h >= _MIN_RULE:
            vrules.append(Rule((x0 + x1) / 2, height - max(y0, y1), height - min(y0, y1)))

    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=1):
        fill, stroke = ctypes.c_int(), ctypes.c_int()
        raw.FPDFPath_GetDrawMode(obj.raw, fill, stroke)
        if not stroke.value and (not fill.value or _is_white(obj.raw)):
            continue  # invisible, or white paint over the page
        left, bottom, right, top = obj.get_bounds()
        if (right - left <= _THIN) or (top - bottom <= _THIN):
            add(left, bottom, right, top)  # a thin filled box or a single line
            continue
        for line in _path_points(obj.raw, obj.get_matrix()):
            for (x0, y0), (x1, y1) in pairwise(line):
                add(x0, y0, x1, y1)
    return hrules, vrules


def read_pages(
    data: bytes, max_pages: int | None = None, ocr: bool = True
) -> tuple[list[Page], int]:
    """The characters and rulings of every page, or of the first ``max_pages``, and how many
    pages the document has (pypdfium2 errors propagate). With ``ocr``, a page without a usable
    text layer is read by OCR (ocr.py)."""
    from .ocr import needs_ocr, scan_page  # ocr.py builds this module's Char and Rule

    document = pdfium.PdfDocument(data)
    try:
        pages: list[Page] = []
        total = len(document)
        for number in range(min(total, max_pages) if max_pages else total):
            page = document[number]
            try:
                width, height = page.get_size()
                textpage = page.get_textpage()
                try:
                    chars = _chars(textpage, height)
                finally:
                    textpage.close()
                if ocr and needs_ocr(page, chars):
                    scan = scan_page(page)
                    rules = (scan.hrules, scan.vrules)
                    pages.append(Page(number + 1, width, height, scan.chars, *rules))
                    pages[-1].ocr_confidence = scan.confidence
                    continue
                hrules, vrules = _rules(page, height)
            finally:
                page.close()
            pages.append(Page(number + 1, width, height, chars, hrules, vrules))
        return pages, total
    finally:
        document.close()
