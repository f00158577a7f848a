"""Name the rows of a record table: map label variants to field keys, join page-break rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Row
from .text import squeeze_label

ACTIVITY = "activity"
MODE = "mode"
PARTICIPANTS = "participants"
TIME = "time"
LOCATION = "location"
RECEPTION = "reception"
CONTENT = "content"
ATTACHMENTS = "attachments"
APPENDIX = "appendix"
MATERIAL = "material"
DATE = "date"
EXTRA = "extra"

# Checked in order; the first key whose keyword the squeezed label contains wins.
_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    (MATERIAL, ("重大信息",)),
    (ATTACHMENTS, ("附件清单", "附件名称", "附件列表")),
    (
        RECEPTION,
        (
            "接待",
            "出席人员",
            "公司参会人员",
            "公司参与人员",
            "上市公司参加人员",
            "上市公司参会人员",
        ),
    ),
    (
        PARTICIPANTS,
        (
            "参与单位",
            "参会单位",
            "参与机构",
            "参会机构",
            "来访单位",
            "来访机构",
            "调研机构",
            "参与人员",
            "参会人员",
            "来访人员",
            "调研人员",
            "参加人员",
            "对象名称",
        ),
    ),
    (ACTIVITY, ("活动类别", "活动类型", "活动性质")),
    (
        CONTENT,
        (
            "主要内容",
            "交流内容",
            "活动内容",
            "会议内容",
            "调研内容",
            "内容介绍",
            "沟通内容",
            "会议纪要",
            "交流纪要",
        ),
    ),
    (LOCATION, ("地点",)),
    (MODE, ("方式", "形式")),
    (EXTRA, ("注意事项", "风险提示", "说明", "备注", "声明")),
]
_EXACT = {
    "时间": TIME,
    "活动时间": TIME,
    "调研时间": TIME,
    "会议时间": TIME,
    "日期": DATE,
    "记录日期": DATE,
    "填表日期": DATE,
    "日期时间": DATE,
    "附件": APPENDIX,
    "类别": ACTIVITY,
}


def classify(label: str) -> str | None:
    """The field key of a row label, or None for a label this module does not know."""
    squeezed = squeeze_label(label).replace("（如有）", "").replace("(如有)", "")
    if not squeezed:
        return None
    if squeezed in _EXACT:
        return _EXACT[squeezed]
    for key, words in _KEYWORDS:
        if any(word in squeezed for word in words):
            return key
    if squeezed.endswith("时间"):
        return TIME
    return None


# How the labels of a record table begin: a label that begins so is a new row, not the tail
# of the label before it.
_LABEL_START = re.compile(
    r"^(投资者关系|参与|参会|上市公司|公司|接待|时间|地点|附件|日期|活动|调研)"
)
# A line that opens an appendix after the form (附件：参会机构名单, 附件一, 参会单位名单).
APPENDIX_HEADING = re.compile(
    r"^(附件(清单)?\s*[一二三四1-9]?\s*[:：、.]?.{0,20}|(附表|附)?.{0,12}(参与|参会|来访|调研|与会)(单位|机构|人员)"
    r"(名称|名单|及人员|清单|明细)?(名单|清单|明细|列表)?[:：]?)\s*$"
)


@dataclass
class Table:
    """Rows by key (first occurrence wins), rows no key matched, and the appendix rows."""

    by_key: dict[str, Row] = field(default_factory=dict)
    unknown: list[Row] = field(default_factory=list)
    after: list[Row] = field(default_factory=list)
    known: int = 0


def merge_rows(rows: list[Row]) -> Table:
    """Join continuation rows to the row they continue and index the rows by key.

    A label-less table row continues the row before it (a cell over a page break); a label
    that only makes sense joined to the one before it (``投资者关系活动主要内`` / ``容介绍``)
    continues it too. Free text below the form continues the content row, unless it opens an
    appendix (``附件：参会机构名单``): from there on, rows go to ``after``.
    """
    merged: list[tuple[str | None, Row]] = []
    content: Row | None = None
    in_appendix = False
    table = Table()
    for row in rows:
        label = squeeze_label(row.label)
        if row.free and APPENDIX_HEADING.match(row.lines[0][0] if row.lines else ""):
            in_appendix = True
        if in_appendix:
            table.after.append(row)
            continue
        if row.free and content is not None:
            content.extend(row)
            continue
        if merged and not label and not row.ruled_above:
            merged[-1][1].extend(row)
            continue
        if merged and merged[-1][1].ruled_above and not squeeze_label(merged[-1][1].label):
            prev = merged.pop()[1]  # the label of a row begun on the page before
            row = Row(label=row.label, lines=prev.lines + row.lines, cells=row.cells, free=row.free)
        key = classify(row.label)
        if merged and label and (key is None or merged[-1][0] is None):
            prev_key, prev = merged[-1]
            joined = classify(prev.label + row.label)
            fragment = key is None and not _LABEL_START.match(label)
            if joined is not None and (
                (prev_key is None and joined == (key or joined))
                or (fragment and joined == prev_key)
            ):
                prev.label += row.label
                prev.extend(row)
                merged[-1] = (joined, prev)
                continue
        new = Row(label=row.label, lines=list(row.lines), cells=list(row.cells), free=row.free)
        merged.append((key, new))
        if key == CONTENT and content is None:
            content = new
    last_known = max((i for i, (key, _) in enumerate(merged) if key), default=-1)
    for i, (key, row) in enumerate(merged):
        if key and key not in table.by_key:
            table.by_key[key] = row
            table.known += 1
        elif i > last_known:
            table.after.append(row)
        elif not key:
            table.unknown.append(row)
    return table


_LABELLED_LINE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]\s*)?(?P<label>[^\t:：]{2,20}?)\s*(?:[:：]|\t)\s*(?P<value>.*)$"
)


def rows_from_lines(lines: list[str]) -> tuple[list[str], list[Row]]:
    """A record printed without a table: ``时间：2024 年 5 月 9 日`` paragraphs (or a label and
    its value in columns). Lines before the first label are the header; a line with no label
    continues the row above. Returns (header, rows)."""
    header: list[str] = []
    rows: list[Row] = []
    for line in lines:
        m = _LABELLED_LINE.match(line)
        if m and classify(m["label"]) is not None:
            value = m["value"].strip()
            rows.append(Row(label=m["label"], lines=[[value]] if value else []))
        elif rows:
            rows[-1].lines.append([line])
        else:
            header.append(line)
    return header, rows
