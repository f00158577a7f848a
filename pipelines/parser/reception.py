"""Split the 上市公司接待人员姓名 cell into ``[{"name", "title"}]``."""

from __future__ import annotations

import re

from .text import join_wrapped

TITLE_WORDS = (
    "董事会秘书",
    "董秘",
    "董事长",
    "副董事长",
    "总经理",
    "副总经理",
    "总裁",
    "副总裁",
    "财务总监",
    "财务负责人",
    "首席财务官",
    "首席执行官",
    "独立董事",
    "董事",
    "监事会主席",
    "监事",
    "证券事务代表",
    "证代",
    "总监",
    "经理",
    "主任",
    "负责人",
    "助理",
    "代表",
    "CEO",
    "CFO",
    "COO",
    "CTO",
    "IR",
    "保荐代表人",
    "会计师",
    "主席",
    "专员",
    "首席科学家",
    "总工程师",
    "院长",
    "部长",
    "总",
)
_HONORIFIC = re.compile(r"(先生|女士|博士|教授)$")
_TITLE_END = re.compile(
    "(" + "|".join(sorted(map(re.escape, TITLE_WORDS), key=len, reverse=True)) + ")"
)
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
_NUMBERING = re.compile(r"(?:^|\s)\d{1,2}\s*[、.．)）]\s*")


def _name(text: str) -> str:
    return _HONORIFIC.sub("", text.strip().rstrip("等").strip())


def _split_glued(item: str) -> tuple[str | None, str | None]:
    """``董事会秘书焦海华`` -> (title, name) by the last title word."""
    last = None
    for m in _TITLE_END.finditer(item):
        last = m
    if last and last.end() < len(item):
        name = _name(item[last.end() :])
        if _CJK_NAME.match(name):
            return item[: last.end()].strip("：: "), name
    return None, None


def parse_reception(text: str) -> list[dict[str, str | None]]:
    """People who received the visitors, each with their title (None when not given)."""
    out: list[dict[str, str | None]] = []
    if not text or not text.strip():
        return out
    chunks: list[str] = []
    if re.match(r"^\s*\d{1,2}\s*[、.．]", text):  # numbered people: line breaks are only wraps
        text = join_wrapped(text.split("\n"))
    for line in re.split(r"[\n；;]", text):
        line = line.strip(" ，,。")
        if not line:
            continue
        parts = [p.strip() for p in _NUMBERING.split(" " + line) if p.strip()]
        chunks.extend(parts)
    for chunk in chunks:
        chunk = chunk.strip(" ，,。")
        m = re.match(r"^(?P<title>[^:：]+?)\s*[:：]\s*(?P<names>.+)$", chunk)
        if m:
            title, names = m["title"], m["names"]
        elif " " in chunk:
            title, _, names = chunk.rpartition(" ")
        else:
            title, name = _split_glued(chunk.rstrip("等"))
            if name:
                out.append({"name": name, "title": title})
                continue
            cleaned = _name(chunk)
            if _CJK_NAME.match(cleaned) and not _TITLE_END.search(cleaned):
                out.append({"name": cleaned, "title": None})
            else:
                out.append({"name": None, "title": chunk.rstrip("等")})
            continue
        for name in re.split(r"[、，,]", names):
            name = _name(name)
            if name:
                out.append({"name": name, "title": title.strip() or None})
    return out
