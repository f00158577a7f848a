"""Record-table rows from a page's characters and rulings.

A record table is a label column and a value column. Its rows are the bands between horizontal
rulings that cross the label/value divider; rulings that stop at the divider belong to boxes
nested in one column (a label drawn in its own box, a bordered note inside the content) and do
not end a row. Inside a value, vertical rulings with text on both sides are sub-columns
(``机构 | 人员``), and the rulings across them are its sub-rows, so an institution centred beside
several names stays with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from .pdfpage import Char, Page, Rule

_MERGE = 1.5  # rulings this close are one
_TOUCH = 3.0  # a ruling ending this close to another meets it


@dataclass
class Line:
    """One visual line of text: its box and its text."""

    top: float
    bottom: float
    x0: float
    x1: float
    text: str


@dataclass
class Band:
    """One table row on one page: label text, value cells (columns of lines), all cells."""

    label: list[Line]
    value: list[list[list[Line]]]  # sub-rows -> columns -> lines
    cells: list[str]


@dataclass
class Table:
    top: float
    bottom: float
    x0: float
    x1: float
    bands: list[Band]


def _merge(rules: list[Rule]) -> list[Rule]:
    """Join collinear rulings that touch or overlap (positions this close are one line)."""
    groups: list[list[Rule]] = []
    for rule in sorted(rules, key=lambda r: r.pos):
        if groups and rule.pos - groups[-1][-1].pos <= _MERGE:
            groups[-1].append(rule)
        else:
            groups.append([rule])
    out: list[Rule] = []
    for group in groups:
        pos = sum(r.pos for r in group) / len(group)
        merged: list[Rule] = []
        for rule in sorted(group, key=lambda r: r.a):
            if merged and rule.a <= merged[-1].b + _TOUCH:
                merged[-1].b = max(merged[-1].b, rule.b)
            else:
                merged.append(Rule(pos, rule.a, rule.b))
        out.extend(merged)
    return out


def _tables(hrules: list[Rule], vrules: list[Rule]) -> list[tuple[list[Rule], list[Rule]]]:
    """Group rulings that meet into tables (at least two rulings each way)."""
    parent = list(range(len(hrules) + len(vrules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hrules):
        for j, v in enumerate(vrules):
            if h.a - _TOUCH <= v.pos <= h.b + _TOUCH and v.a - _TOUCH <= h.pos <= v.b + _TOUCH:
                parent[find(i)] = find(len(hrules) + j)
    groups: dict[int, tuple[list[Rule], list[Rule]]] = {}
    for i, h in enumerate(hrules):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vrules):
        groups.setdefault(find(len(hrules) + j), ([], []))[1].append(v)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def text_lines(chars: list[Char]) -> list[Line]:
    """Characters grouped into visual lines (top to bottom), words spaced by their gaps."""
    lines: list[list[Char]] = []
    for ch in sorted(chars, key=lambda c: (c.top + c.bottom) / 2):
        mid = (ch.top + ch.bottom) / 2
        if lines:
            cur = lines[-1]
            top = min(c.top for c in cur[-3:])
            bottom = max(c.bottom for c in cur[-3:])
            if top - 0.5 <= mid <= bottom + 0.5:
                cur.append(ch)
                continue
        lines.append([ch])
    return [_line(chs) for chs in lines]


def _is_wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def _line(chars: list[Char]) -> Line:
    chars.sort(key=lambda c: c.x0)
    parts: list[str] = []
    prev: Char | None = None
    space = False  # a space character the PDF printed
    for ch in chars:
        if ch.text == " ":
            space = prev is not None
            continue
        if prev is not None:
            gap = ch.x0 - prev.x1
            size = max(prev.bottom - prev.top, ch.bottom - ch.top, 1.0)
            wide = _is_wide(prev.text) + _is_wide(ch.text)  # 2: both Chinese, 1: a mix
            if gap > 2.5 * size:
                parts.append("\t")  # a column gap (borderless columns)
            elif space or gap > (0.2, 0.25, 0.9)[wide] * size:
                parts.append(" ")
        parts.append(ch.text)
        prev = ch
        space = False
    printed = [c for c in chars if c.text != " "] or chars
    return Line(
        min(c.top for c in printed),
        max(c.bottom for c in printed),
        printed[0].x0,
        max(c.x1 for c in printed),
        "".join(parts),
    )


def _covered(rules: list[Rule], pos: float, a: float, b: float) -> float:
    """How much of a..b the rulings at ``pos`` cover."""
    return sum(max(0.0, min(r.b, b) - max(r.a, a)) for r in rules if abs(r.pos - pos) <= _MERGE)


def _divider(vrules: list[Rule], x0: float, x1: float, top: float, bottom: float) -> float | None:
    """The x of the label/value divider: the longest inner vertical in the left half."""
    best: tuple[float, float] | None = None
    positions = sorted({round(v.pos, 1) for v in vrules})
    for pos in positions:
        if not (x0 + 8 < pos < x0 + 0.45 * (x1 - x0)):
            continue
        length = _covered(vrules, pos, top, bottom)
        if best is None or length > best[0] + 1:
            best = (length, pos)
    if best is None or best[0] < 0.25 * (bottom - top):
        return None
    return best[1]


def _columns(
    vrules: list[Rule], chars: list[Char], x0: float, x1: float, top: float, bottom: float
) -> list[float]:
    """Inner verticals of a value region that have text on both sides: its column splits."""
    splits: list[float] = []
    height = bottom - top
    for pos in sorted({round(v.pos, 1) for v in vrules}):
        if not (x0 + 3 < pos < x1 - 3) or any(abs(pos - s) < 3 for s in splits):
            continue
        if _covered(vrules, pos, top, bottom) < 0.5 * height:
            continue
        left = right = False
        for c in chars:
            mid = (c.x0 + c.x1) / 2
            if (splits[-1] if splits else x0) < mid < pos:
                left = True
            elif mid > pos:
                right = True
            if left and right:
                splits.append(pos)
                break
    return splits


def _river(chars: list[Char], x0: float, x1: float) -> list[float]:
    """The x of a blank column gap that runs down every line (columns drawn without a
    ruling between them), or nothing: a gap at least a character wide, with text on both
    sides of it on at least three lines and half of all lines."""
    chars = [c for c in chars if c.text != " "]
    lines = text_lines(chars)
    if len(lines) < 3:
        return []
    size = sorted(c.bottom - c.top for c in chars)[len(chars) // 2]
    low, high = x0 + 10, x1 - 10
    best: tuple[float, float] | None = None
    covered = low  # the characters, merged left to right: the gaps between them are blank
    for c in sorted(chars, key=lambda c: c.x0):
        if c.x0 > covered:
            start, end = covered, min(c.x0, high)
            mid = (start + end) / 2
            both = sum(1 for line in lines if line.x0 < mid < line.x1)
            wide = end - start >= size and both >= max(3, len(lines) / 2)
            if wide and (best is None or end - start > best[0]):
                best = (end - start, mid)
        covered = max(covered, c.x1)
        if covered >= high:
            break
    return [best[1]] if best else []


def _split_by(chars: list[Char], cuts: list[float], key) -> list[list[Char]]:
    """Chars bucketed by the intervals the sorted ``cuts`` make along ``key``."""
    buckets: list[list[Char]] = [[] for _ in range(len(cuts) + 1)]
    for c in chars:
        v = key(c)
        i = 0
        while i < len(cuts) and v > cuts[i]:
            i += 1
        buckets[i].append(c)
    return buckets


def _value(
    chars: list[Char],
    hrules: list[Rule],
    vrules: list[Rule],
    x0: float,
    x1: float,
    top: float,
    bottom: float,
) -> list[list[list[Line]]]:
    splits = _columns(vrules, chars, x0, x1, top, bottom) or _river(chars, x0, x1)
    if not splits:
        return [[text_lines(chars)]] if chars else []
    cuts = sorted(
        h.pos
        for h in hrules
        if top + 1 < h.pos < bottom - 1 and any(h.a < s - 2 and h.b > s + 2 for s in splits)
    )
    if not cuts:  # columns without rulings between their rows: align them line by line
        return _aligned([text_lines(col) for col in _split_by(chars, splits, _xmid)])
    out = []
    for row in _split_by(chars, cuts, _ymid):
        if row:
            out.append([text_lines(col) for col in _split_by(row, splits, _xmid)])
    return out


def _aligned(columns: list[list[Line]]) -> list[list[list[Line]]]:
    """Sub-rows of one visual line each, a column's line joining the row it overlaps."""
    rows: list[tuple[float, float, list[list[Line]]]] = []
    for i, col in enumerate(columns):
        for line in col:
            for top, bottom, cells in rows:
                if line.top < bottom - 1 and line.bottom > top + 1 and not cells[i]:
                    cells[i].append(line)
                    break
            else:
                cells = [[] for _ in columns]
                cells[i].append(line)
                rows.append((line.top, line.bottom, cells))
    rows.sort(key=lambda r: r[0])
    return [cells for _, _, cells in rows]


def _xmid(c: Char) -> float:
    return (c.x0 + c.x1) / 2


def _ymid(c: Char) -> float:
    return (c.top + c.bottom) / 2


def _inside(c: Char, x0: float, x1: float, top: float, bottom: float) -> bool:
    mx, my = (c.x0 + c.x1) / 2, (c.top + c.bottom) / 2
    return x0 <= mx <= x1 and top <= my <= bottom


def read_tables(page: Page) -> tuple[list[Table], list[Char]]:
    """The page's tables (top to bottom) and the characters outside every table."""
    hrules, vrules = _merge(page.hrules), _merge(page.vrules)
    tables: list[Table] = []
    rest = page.chars
    for hs, vs in sorted(_tables(hrules, vrules), key=lambda g: min(h.pos for h in g[0])):
        x0, x1 = min(v.pos for v in vs), max(v.pos for v in vs)
        top, bottom = min(h.pos for h in hs), max(h.pos for h in hs)
        if x1 - x0 < 50 or bottom - top < 8:
            continue
        inside = [c for c in rest if _inside(c, x0 - 1, x1 + 1, top - 1, bottom + 1)]
        rest = [c for c in rest if not _inside(c, x0 - 1, x1 + 1, top - 1, bottom + 1)]
        divider = _divider(vs, x0, x1, top, bottom)
        cuts = sorted(
            h.pos
            for h in hs
            if top + 1 < h.pos < bottom - 1
            and (divider is None or (h.a < divider - 3 and h.b > divider + 3))
        )
        bands: list[Band] = []
        edges = [top, *cuts, bottom]
        for btop, bbottom in pairwise(edges):
            chars = [c for c in inside if btop <= (c.top + c.bottom) / 2 <= bbottom]
            if not chars:
                continue
            split = divider if divider is not None else x0
            label = [c for c in chars if (c.x0 + c.x1) / 2 < split]
            value = [c for c in chars if (c.x0 + c.x1) / 2 >= split]
            spanning = [v for v in vs if v.a < bbottom - 2 and v.b > btop + 2]
            cell_cuts = sorted(
                {
                    round(v.pos, 1)
                    for v in spanning
                    if x0 + 3 < v.pos < x1 - 3
                    and _covered(vs, v.pos, btop, bbottom) > 0.6 * (bbottom - btop)
                }
            )
            cells = [
                "\n".join(line.text for line in text_lines(col))
                for col in _split_by(chars, cell_cuts, _xmid)
            ]
            bands.append(
                Band(
                    label=text_lines(label),
                    value=_value(value, hs, vs, split, x1, btop, bbottom),
                    cells=cells,
                )
            )
        tables.append(Table(top, bottom, x0, x1, bands))
    return tables, rest
