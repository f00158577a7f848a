"""Turn a :class:`Layout` into the record fields."""

from __future__ import annotations

import re
from typing import Any

from pipelines.institutions import identify

from . import rows as keys
from .checkboxes import parse_activity
from .dates import parse_single_date, parse_time_cell
from .header import parse_header
from .model import Layout, Row
from .participants import refers_to_appendix, split_participants
from .qa import parse_qa
from .reception import parse_reception
from .result import OK, PARTIAL, empty_result
from .selfcheck import check_participants, check_qa
from .text import join_wrapped


def _text(row: Row | None) -> str | None:
    if row is None:
        return None
    return row.text or None


def _header_year(header: dict[str, Any], record_date: str | None) -> int | None:
    if record_date:
        return int(record_date[:4])
    m = re.match(r"((?:19|20)\d{2})", header.get("record_no") or "")
    return int(m.group(1)) if m else None


def _appendix_participants(table: keys.Table) -> list[dict[str, Any]]:
    """The participant list the cell refers to (``详见附件``): an appendix row, a list printed
    in the 附件清单 row itself, or a table or lines after the form."""
    for key in (keys.APPENDIX, keys.ATTACHMENTS):
        row = table.by_key.get(key)
        if row is None or (key == keys.ATTACHMENTS and len(row.lines) < 3):
            continue
        found = split_participants(
            [line for line in row.lines if not keys.APPENDIX_HEADING.match(" ".join(line))]
        )
        if found:
            return found
    grid = [r for r in table.after if not r.free and len(r.cells) > 1]
    if grid:
        lines = [[c for c in r.cells if c is not None] for r in grid]
        if any(re.fullmatch(r"\d{1,3}", line[0] or "") for line in lines):
            lines = [line[1:] for line in lines]  # drop the 序号 column
        lines = [line if len(line) > 1 else [line[0], ""] for line in lines]
        found = split_participants(lines)
        if found:
            return found
    text = [
        line
        for r in table.after
        for line in r.lines
        if not keys.APPENDIX_HEADING.match(" ".join(line))
    ]
    return split_participants(text) if text else []


def extract_fields(layout: Layout) -> dict[str, Any]:
    """All record fields of ``layout`` plus the parse block (status ok or partial)."""
    result = empty_result(layout.format, OK, layout.warnings)
    warnings: list[str] = result["parse"]["warnings"]
    result["parse"]["pages"] = layout.pages
    table = keys.merge_rows(layout.rows)
    head = layout.header
    if table.known < 3:  # no record table: perhaps the fields are printed as labelled lines
        lines = head + [line[0] for row in layout.rows for line in row.lines if line]
        found_head, found_rows = keys.rows_from_lines(lines)
        found = keys.merge_rows(found_rows)
        if found.known >= 3:
            table, head = found, found_head
    header = parse_header(head)
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

    findings: list[str] = []  # what the self-check finds suspect: the record is partial
    prow = by.get(keys.PARTICIPANTS)
    if prow is not None:
        result["participants_text"] = prow.text or None
        appendix = refers_to_appendix(prow.text)
        if appendix:
            result["participants"] = _appendix_participants(table)
            if not result["participants"]:
                findings.append("participants: 详见附件 but no list found after the table")
        else:
            result["participants"] = split_participants(prow.lines)
        if result["participants"] or not appendix:
            findings.extend(
                check_participants(prow.text, result["participants"], listed_here=not appendix)
            )
    result["people_count"] = sum(len(p["people"]) for p in result["participants"])
    for entry in result["participants"]:
        org = identify(entry["institution"]) if entry["institution"] else None
        entry["canonical"] = org.canonical if org else None
        entry["org_type"] = org.org_type if org else "个人"

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
        text = content.text
        found = parse_qa(text)
        if not found.pairs and table.after:  # 主要内容：详见附件, the Q&A printed after the form
            appended = "\n".join([text, *(r.text for r in table.after if r.free)]).strip()
            if (more := parse_qa(appended)).pairs:
                text, found = appended, more
        result["content_text"] = text or None
        result["qa"] = found.pairs
        findings.extend(check_qa(text, found))
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
    warnings.extend(findings)
    if table.known < 3 or missing or not result["start_date"] or findings:
        result["parse"]["status"] = PARTIAL
    return result
