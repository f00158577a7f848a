"""Name the rows of a record table: map label variants to field keys, join page-break rows."""

from __future__ import annotations

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


@dataclass
class Table:
    """Rows by key (first occurrence wins) and the rows no key matched, in order."""

    by_key: dict[str, Row] = field(default_factory=dict)
    unknown: list[Row] = field(default_factory=list)
    after: list[Row] = field(default_factory=list)
    known: int = 0


def merge_rows(rows: list[Row]) -> Table:
    """Join label-less rows to the row before them and index the rows by key.

    Rows after the last known row of the record table (attachment tables) go to ``after``.
    """
    merged: list[tuple[str | None, Row]] = []
    for row in rows:
        key = classify(row.label)
        if merged and not squeeze_label(row.label):
            _prev_key, prev = merged[-1]
            prev.extend(row)
            continue
        merged.append((key, Row(label=row.label, lines=list(row.lines), cells=list(row.cells))))
    table = Table()
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
