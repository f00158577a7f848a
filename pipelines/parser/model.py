"""The common shape every reader (PDF, DOCX, HTML) turns a document into.

Field extraction works only on this shape, so the table logic is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    """One row of a two-column record table: a label and its value.

    ``lines`` holds the value as visual lines; each line is a list of column texts, so a
    ``机构 | 人员`` sub-table keeps its columns (``["中欧基金", "周应波、蓝小康"]``) while a
    plain cell has one column per line. ``cells`` keeps the raw cell texts of the row
    (label first), for tables that are not label/value tables (attachment lists).
    """

    label: str
    lines: list[list[str]] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    free: bool = False  # text outside any table (below it, or on a page without one)
    # a ruling above it ends the row before: a label-less row so marked is a row of its own
    # whose label was printed on the next page (a label centred in a cell split by the break)
    ruled_above: bool = False

    @property
    def text(self) -> str:
        """The value as plain text, columns joined by a space, lines by newlines."""
        text = "\n".join(" ".join(c for c in line if c) for line in self.lines)
        return text.replace("\t", " ").strip()

    @property
    def columns(self) -> int:
        """How many value columns the widest line has."""
        return max((sum(1 for c in line if c) for line in self.lines), default=0)

    def extend(self, other: Row) -> None:
        """Append a continuation row (a cell that ran over a page break)."""
        self.lines.extend(other.lines)
        self.cells = [
            a + ("\n" + b if b else "") for a, b in zip(self.cells, other.cells, strict=False)
        ] or self.cells


@dataclass
class Layout:
    """What a reader found: text above the first table, then table rows and free-text rows
    in reading order."""

    format: str
    pages: int | None = None
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ocr_pages: int = 0  # pages read by OCR (no usable text layer)
