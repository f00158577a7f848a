"""Read a DOCX into a :class:`Layout` with python-docx (same rows as the PDF reader)."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml.ns import qn

from .model import Layout, Row
from .text import clean

# Wingdings boxes as Word stores them in <w:sym w:char="F0FE"/>; keep the private-use
# code point, the checkbox module knows it.
_T, _TAB, _BR, _CR, _SYM, _P, _TBL, _TR, _TC = (
    qn("w:t"),
    qn("w:tab"),
    qn("w:br"),
    qn("w:cr"),
    qn("w:sym"),
    qn("w:p"),
    qn("w:tbl"),
    qn("w:tr"),
    qn("w:tc"),
)


# What a record's DOCX can hold: a few hundred KB of XML and some images. Past these bounds the
# file is a zip bomb, refused before anything is decompressed.
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # all members together, as their headers declare
MAX_RATIO = 200  # a member of more than RATIO_FLOOR compressed this many times (XML: ~10x)
RATIO_FLOOR = 10 * 1024 * 1024
MAX_MEMBERS = 10_000


class ZipBomb(ValueError):
    """A DOCX whose members would expand past what a record can hold."""


def check_zip(data: bytes) -> None:
    """Raise ZipBomb when the archive declares too much (zipfile never reads a member past its
    declared size, so the declarations bound what python-docx can be made to decompress)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ZipBomb(f"zip bomb: {len(members)} members")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise ZipBomb(f"zip bomb: declares {total / 2**20:.0f} MB uncompressed")
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise ZipBomb(
                f"zip bomb: {m.filename} expands {m.compress_size / 2**10:.0f} KB to "
                f"{m.file_size / 2**20:.0f} MB"
            )


def _paragraph_text(p) -> str:
    parts = []
    for el in p.iter():
        if el.tag == _T:
            parts.append(el.text or "")
        elif el.tag == _TAB:
            parts.append(" ")
        elif el.tag in (_BR, _CR):
            parts.append("\n")
        elif el.tag == _SYM:
            code = el.get(qn("w:char")) or ""
            try:
                char = chr(int(code, 16))
            except ValueError:
                continue
            parts.append(chr(0xF000 + ord(char)) if ord(char) < 0x100 else char)
    return "".join(parts)


def _cell_lines(tc) -> list[list[str]]:
    """Lines of one cell; a nested table gives one line per nested row with its columns."""
    lines: list[list[str]] = []
    for child in tc:
        if child.tag == _P:
            for line in clean(_paragraph_text(child)).split("\n"):
                if line:
                    lines.append([line])
        elif child.tag == _TBL:
            for tr in child.iter(_TR):
                cols = [clean(" ".join(c[0] for c in _cell_lines(t) if c)) for t in tr.findall(_TC)]
                if any(cols):
                    lines.append(cols)
    return lines


def _cell_text(tc) -> str:
    return "\n".join(" ".join(c for c in line if c) for line in _cell_lines(tc))


def _is_vmerge_continue(tc) -> bool:
    pr = tc.find(qn("w:tcPr"))
    if pr is None:
        return False
    vm = pr.find(qn("w:vMerge"))
    return vm is not None and vm.get(qn("w:val")) in (None, "continue")


def _table_rows(tbl) -> list[Row]:
    rows = []
    for tr in tbl.findall(_TR):
        tcs = tr.findall(_TC)
        if not tcs:
            continue
        label = "" if _is_vmerge_continue(tcs[0]) else clean(_cell_text(tcs[0]))
        cells = [label] + [clean(_cell_text(tc)) for tc in tcs[1:]]
        values = [tc for tc in tcs[1:] if not _is_vmerge_continue(tc) or len(tcs) > 2]
        filled = [tc for tc in values if _cell_text(tc).strip()]
        if len(filled) > 1:
            columns = [_cell_lines(tc) for tc in values]
            height = max(len(c) for c in columns)
            lines = [
                [" ".join(col[i]) if i < len(col) else "" for col in columns] for i in range(height)
            ]
        else:
            lines = _cell_lines(filled[0]) if filled else []
        rows.append(Row(label=label, lines=lines, cells=cells))
    return rows


def read_docx(data: bytes) -> Layout:
    """Read DOCX bytes (raises python-docx / zipfile errors on a broken file, ZipBomb on a file
    that declares more than a record can hold)."""
    check_zip(data)
    document = Document(io.BytesIO(data))
    layout = Layout(format="docx")
    for section in document.sections:
        for p in section.header.paragraphs:
            line = clean(p.text)
            if line:
                layout.header.append(line)
    seen_table = False
    for child in document.element.body:
        if child.tag == _TBL:
            seen_table = True
            layout.rows.extend(_table_rows(child))
        elif child.tag == _P:
            lines = [line for line in clean(_paragraph_text(child)).split("\n") if line]
            if not seen_table:
                layout.header.extend(lines)
            elif lines and layout.rows[-1].free:
                layout.rows[-1].lines.extend([line] for line in lines)
            elif lines:
                layout.rows.append(Row(label="", lines=[[line] for line in lines], free=True))
    return layout
