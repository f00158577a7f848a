"""Scanned pages: a page with no usable text layer is rendered (pypdfium2) and read by RapidOCR,
whose models ship in its wheel (no network, no system packages).

The OCR output becomes what a text page gives the parser: characters with their boxes (RapidOCR's
single-character boxes) and ruling lines, found in the image as long runs of dark pixels that no
text crosses. The grid, rows, participants and Q&A logic then read a scan like a text PDF.

One engine per process, loaded on first use and kept: a parse worker pays the load once.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from .pdfpage import Char, Rule

if TYPE_CHECKING:
    import numpy as np

DPI = 200
SCALE = DPI / 72
DARK = 160  # a grey level below this is ink
MIN_RULE_PX = 40  # a ruling is at least this long (14 pt at 200 dpi); strokes inside text are cut
_ENGINE: Any = None


@dataclass
class Scan:
    """What OCR read on one page, in page points (top-left origin)."""

    chars: list[Char]
    hrules: list[Rule]
    vrules: list[Rule]
    confidence: float  # mean character score, 0..1


def usable(chars: list[Char]) -> int:
    """How many characters of a text layer map to something (not U+FFFD, not private use)."""
    return sum(
        1
        for c in chars
        if c.text.strip() and c.text != "\ufffd" and not 0xE000 <= ord(c.text[0]) <= 0xF8FF
    )


def needs_ocr(page: pdfium.PdfPage, chars: list[Char]) -> bool:
    """A page is OCR'd when its text layer has no usable character, or only a few (a stamped page
    number) over an image that covers most of the page. Pages with text are never OCR'd."""
    count = usable(chars)
    if count == 0:
        return True
    if count >= 10:
        return False
    width, height = page.get_size()
    for image in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = image.get_bounds()
        if (right - left) * (top - bottom) >= 0.5 * width * height:
            return True
    return False


def engine() -> Any:
    """The process's RapidOCR engine: upright pages (no angle classifier), one thread (the
    parse workers are the parallelism), single-character boxes, text detected on the page
    shrunk to 960 px on its long side (bench/ocr_bench.py: 3.0 s a page instead of 4.5, at
    97.9% instead of 98.7% field accuracy)."""
    global _ENGINE
    if _ENGINE is None:
        from rapidocr import RapidOCR

        _ENGINE = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.return_word_box": True,
                "Global.return_single_char_box": True,
                "Global.log_level": "warning",
                "Det.limit_type": "max",
                "Det.limit_side_len": 960,
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
    return _ENGINE


def scan_page(page: pdfium.PdfPage) -> Scan:
    """Render ``page`` at DPI and read its characters and rulings."""
    image = page.render(scale=SCALE, grayscale=True).to_numpy()
    if image.ndim == 3:
        image = image[..., 0]
    output = engine()(image)
    chars: list[Char] = []
    scores: list[float] = []
    boxes: list[tuple[float, float, float, float]] = []  # text lines, in pixels
    for line_box, words in _lines(output):
        xs, ys = [p[0] for p in line_box], [p[1] for p in line_box]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
        for text, score, box in words:
            bx, by = [p[0] for p in box], [p[1] for p in box]
            for k, ch in enumerate(text):  # a "character" box may hold two glyphs
                x0 = min(bx) + (max(bx) - min(bx)) * k / len(text)
                x1 = min(bx) + (max(bx) - min(bx)) * (k + 1) / len(text)
                chars.append(Char(ch, x0 / SCALE, x1 / SCALE, min(by) / SCALE, max(by) / SCALE))
                scores.append(float(score))
    ink = image < DARK
    hrules = _rules(ink, boxes)
    vrules = _rules(ink.T, [(top, left, bottom, right) for left, top, right, bottom in boxes])
    return Scan(chars, hrules, vrules, statistics.fmean(scores) if scores else 0.0)


def _lines(output: Any) -> list[tuple[Any, list[tuple[str, float, Any]]]]:
    """Each text line's box and its characters with score and box (the line's text over its
    whole box when the engine gave no character boxes for it)."""
    if output.boxes is None:
        return []
    words = list(output.word_results or ())
    lines = []
    for i, box in enumerate(output.boxes):
        chars = list(words[i]) if i < len(words) and words[i] else []
        lines.append((box, chars or [(output.txts[i], output.scores[i], box)]))
    return lines


def _rules(ink: np.ndarray, text: list[tuple[float, float, float, float]]) -> list[Rule]:
    """Rulings along the rows of ``ink`` (the image transposed for vertical ones): runs of at
    least MIN_RULE_PX dark pixels, merged across the few rows a line is thick, and not strokes
    inside a text line's box (``text``: along0, across0, along1, across1 of each line)."""
    import numpy as np  # here: only a scanned page needs it, not every PDF that imports this

    padded = np.pad(ink.astype(np.int8), ((0, 0), (1, 1)))
    edges = np.diff(padded, axis=1)
    starts, ends = np.argwhere(edges == 1), np.argwhere(edges == -1)
    long = (ends[:, 1] - starts[:, 1]) >= MIN_RULE_PX
    runs = [
        (int(s[0]), int(s[1]), int(e[1])) for s, e in zip(starts[long], ends[long], strict=True)
    ]
    merged: list[list[int]] = []  # [first row, last row, a, b]
    for row, a, b in runs:
        for m in reversed(merged[-8:]):
            if row - m[1] <= 1 and a < m[3] and b > m[2]:
                m[1], m[2], m[3] = row, min(a, m[2]), max(b, m[3])
                break
        else:
            merged.append([row, row, a, b])
    rules = []
    for first, last, a, b in merged:
        pos = (first + last) / 2
        if last - first > 6 or any(
            y0 < pos < y1 and a < x1 and b > x0 and (b - a) < 1.5 * (x1 - x0)
            for x0, y0, x1, y1 in text
        ):
            continue  # a filled block, or a stroke of a character
        rules.append(Rule(pos / SCALE, a / SCALE, b / SCALE))
    return rules
