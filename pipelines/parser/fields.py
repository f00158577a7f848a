"""Turn a :class:`Layout` into the record fields."""

from __future__ import annotations

import re
from typing import Any

from . import rows as keys
from .checkboxes import parse_activity
from .dates import parse_single_date, parse_time_cell
from .header import parse_header
from .model import Layout, Row
from .participants import refers_to_appendix, split_participants
from .qa import parse_qa
from .reception import parse_reception
from .result import OK, PARTIAL, empty_result
from .text import join_wrapped

_APPENDIX_START = re.compile(
    r"^(附件\s*[一二三1-9]?\s*[:：]?|.*(参与|参会|来访|调研)(单位|机构)(名称|名单|及人员)?.*[:：]?)\s*$"
)


def _text(row: Row | None) -> str | None:
    if row is None:
        return None
    return row.text or None


def _header_year(header: dict[str, Any], record_date: str | None) -> int | None:
    if record_date:
        return int(record_date[:4])
    m = re.match(r"((?:19|20)\d{2})", header.get("record_no") or "")
    return int(m.group(1)) if m else None


def _appendix_participants(layout: Layout, table: keys.Table) -> list[dict[str, Any]]:
    """The participant list printed after the table (``详见附件``)."""
    appendix = table.by_key.get(keys.APPENDIX)
    if appendix is not None and appendix.lines:
        lines = appendix.lines
        if lines and _APPENDIX_START.match(" ".join(lines[0])) and len(lines[0]) == 1:
            lines = lines[1:]
        found = split_participants(lines)
        if found:
            return found
    rows = [r for r in table.after if r.cells]
    if rows:
        lines = [[c for c in r.cells if c is not None] for r in rows]
        width = max(len(line) for line in lines)
        if width >= 2 and any(re.fullmatch(r"\d{1,3}", line[0] or "") for line in lines):
            lines = [line[1:] for line in lines]  # drop the 序号 column
        lines = [line if len(line) > 1 else [line[0], ""] for line in lines]
        found = split_participants(lines)
        if found:
            return found
    trailer = layout.trailer
    for i, line in enumerate(trailer):
        if _APPENDIX_START.match(line):
            rest = [t for t in trailer[i + 1 :] if not _APPENDIX_START.match(t)]
            if rest:
                return split_participants([[t] for t in rest])
    return []


def extract_fields(layout: Layout) -> dict[str, Any]:
    """All record fields of ``layout`` plus the parse block (status ok or partial)."""
    result = empty_result(layout.format, OK, layout.warnings)
    warnings: list[str] = result["parse"]["warnings"]
    result["parse"]["pages"] = layout.pages
    table = keys.merge_rows(layout.rows)
    header = parse_header(layout.header)
    result.update(header)
    by = table.by_key

    record_date = parse_single_date(_text(by.get(keys.DATE)) or "", _header_year(header, None))
    result["record_date"] = record_date
    year = _header_year(header, record_date)

    activity_row = by.get(keys.ACTIVITY)
    if (
        activity_row is None
        and keys.MODE in by
        and re.search(r"[□☐☑√■\uf0fe\uf0a8]", by[keys.MODE].text)
    ):
        activity_row = by[keys.MODE]
    if activity_row is not None:
        types, other, notes = parse_activity(activity_row.text)
        result["activity_types"], result["activity_other"] = types, other
        warnings.extend(notes)

    prow = by.get(keys.PARTICIPANTS)
    if prow is not None:
        result["participants_text"] = prow.text or None
        if refers_to_appendix(prow.text):
            result["participants"] = _appendix_participants(layout, table)
            if not result["participants"]:
                warnings.append("participants: 详见附件 but no list found after the table")
        else:
            result["participants"] = split_participants(prow.lines)

    time_text = _text(by.get(keys.TIME))
    result["time_text"] = time_text
    if time_text:
        parsed = parse_time_cell(time_text, year)
        warnings.extend(parsed.pop("warnings"))
        result.update(parsed)
        if not parsed["start_date"]:
            warnings.append("time: no date found in 时间")

    location = by.get(keys.LOCATION)
    result["location"] = (
        join_wrapped(location.text.split("\n")) or None if location is not None else None
    )
    reception_text = _text(by.get(keys.RECEPTION))
    result["reception"] = parse_reception(reception_text or "")

    content = by.get(keys.CONTENT)
    if content is not None:
        result["content_text"] = content.text or None
        result["qa"] = parse_qa(content.text)
    result["attachments_text"] = _text(by.get(keys.ATTACHMENTS))
    material = by.get(keys.MATERIAL)
    result["material_info"] = (
        join_wrapped([material.text]) if material is not None and material.text else None
    )

    missing = [
        k for k in (keys.ACTIVITY, keys.PARTICIPANTS, keys.TIME, keys.CONTENT) if k not in by
    ]
    if table.known < 3:
        warnings.append("no record table found")
    elif missing:
        warnings.append("rows missing: " + ", ".join(missing))
    for row in table.unknown:
        warnings.append(f"unknown row label: {row.label.replace(chr(10), '')[:30]}")
    if not header["stock_code"]:
        warnings.append("header: no 证券代码")
    if table.known < 3 or missing or not result["start_date"]:
        result["parse"]["status"] = PARTIAL
    return result
