"""Split the 上市公司接待人员姓名 cell into ``[{"name", "title"}]``.

Shapes: numbered lines (``1、董事长：张三``), prose (``公司董事长张三先生、总经理李四女士…``),
title before or after the name with or without a colon or space (``证券部经理：张三``,
``张三 董事长``, ``董事会秘书张三``), titles listed before one name (``董事、副总经理李江``), the
company's name in front (``申菱环境董事长崔颖琦``), and two-character names printed with a space
(``张 蔚``). ``name`` is only ever a person's name; a title with no name keeps ``name`` None.
"""

from __future__ import annotations

import re

from .participants import SURNAMES
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
    "执行总裁",
    "财务总监",
    "财务负责人",
    "首席财务官",
    "首席执行官",
    "首席技术官",
    "首席运营官",
    "首席科学家",
    "独立董事",
    "执行董事",
    "董事",
    "监事会主席",
    "监事",
    "证券事务代表",
    "证代",
    "总监",
    "经理",
    "主任",
    "主管",
    "负责人",
    "助理",
    "代表",
    "专员",
    "主席",
    "CEO",
    "CFO",
    "COO",
    "CTO",
    "IR",
    "保荐代表人",
    "会计师",
    "总工程师",
    "工程师",
    "院长",
    "部长",
    "总经理助理",
    "工作人员",
    "行政总裁",
    "秘书",
    "总",
)
_WORDS = "|".join(sorted(map(re.escape, TITLE_WORDS), key=len, reverse=True))
_TITLE = re.compile(r"(?:副|常务|高级|资深)?(?:" + _WORDS + r")")
# what may stand before a title word as part of the title (证券部经理, 投资者关系总监); anything
# else in front of the first title word is the company's name (申菱环境董事长X) and is dropped
_TITLE_PREFIX = re.compile(
    r"(部|中心|办公室|关系|事务|证券|财务|技术|市场|运营|投资|销售|研发|战略|品牌|高级|常务|执行|首席|副|总)$"
)
_NOT_NAME = re.compile(r"公司|集团|部门|本部|办公|证券|中心")
_HONORIFIC = re.compile(r"(先生|女士|博士|教授|老师)$")
_NUMBERING = re.compile(r"(?:^|(?<=\s))\d{1,2}\s*[、.．)）]\s*")
_PIECES = re.compile(
    r"[、，,；;。\n]|(?<=先生|女士|博士)\s*及|及(?=[^、，,]{0,10}?(?:" + _WORDS + r"))"
)
_SPACED = re.compile(
    r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]) ([\u4e00-\u9fff]{1,2})(?![\u4e00-\u9fff])"
)


def _person(text: str) -> str | None:
    """``text`` as a person's name (honorific dropped), or None if it is not one."""
    text = _HONORIFIC.sub("", text.strip(" ：:（）()等")).strip()
    text = _SPACED.sub(r"\1\2", text)
    if _NOT_NAME.search(text):
        return None
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", text):
        if text[:2] in SURNAMES or (len(text) < 4 and text[0] in SURNAMES):
            return text
        return None
    if re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}", text):
        return text
    return None


def _titles(text: str) -> tuple[int, int] | None:
    """Start of the first title word in ``text`` and end of the last (titles run together:
    ``董事会办公室主任兼证券事务代表``)."""
    spans = [m.span() for m in _TITLE.finditer(text)]
    if not spans:
        return None
    return spans[0][0], spans[-1][1]


def _entry(piece: str) -> tuple[str | None, str | None]:
    """(name, title) of one piece; the name None when the piece names nobody."""
    piece = piece.strip(" ：:")
    if ":" in piece or "：" in piece:
        title, rest = re.split(r"\s*[:：]\s*", piece, maxsplit=1)
        name = _person(rest)
        if name:
            return name, title.strip() or None
        name = _person(title)
        if name:  # 张三：董事长
            return name, rest.strip() or None
    span = _titles(piece)
    if span is None:
        return _person(piece), None
    start, end = span
    after, before = piece[end:].strip(), piece[:start].strip()
    name = _person(after) if after else None
    if name is None and after:
        name = _person(after.split()[0])  # 张三先生等, 张 三
    if name is None and before:
        words = before.split()
        for word in (words[-1], words[0], before):
            if found := _person(word):  # 张三 证券部经理: the title is all that follows the name
                return found, piece[piece.index(word) + len(word) :].strip(" ：:") or None
    if name is None and after:
        return None, piece.strip() or None
    prefix = re.sub(r"^(本?公司|我司)", "", before)
    title = piece[start:end] if not _TITLE_PREFIX.search(prefix) else prefix + piece[start:end]
    return name, title.strip() or None


def _parse(lines: list[str]) -> tuple[list[dict[str, str | None]], int]:
    """People of ``lines`` (each an entry or more), and how many pieces made no sense."""
    out: list[dict[str, str | None]] = []
    bad = 0
    carried: list[str] = []  # titles printed before a name in their own pieces (董事、总经理X)
    for line in (part.strip() for text in lines for part in _NUMBERING.split(text)):
        line_start = len(out)
        for piece in _PIECES.split(line):
            piece = re.sub(r"\s*等$", "", piece.strip())  # 证券事务代表、IR等
            if not piece:
                continue
            name, title = _entry(piece)
            span = _titles(piece)
            if name is None and title and span and span[1] == len(piece):
                carried.append(title)  # only titles: they belong to the name that follows
                continue
            if carried:
                title = "、".join([*carried, title] if title else carried)
                carried = []
            elif name and not title and out and out[-1]["name"] and line_start < len(out):
                title = out[-1]["title"]  # 投资者关系经理 杨祎、钱翀仁
            if name is None:
                bad += 1
                if not title:
                    continue
            out.append({"name": name, "title": title})
    if carried:
        bad += 1
        out.append({"name": None, "title": "、".join(carried)})
    return out, bad


def parse_reception(text: str) -> list[dict[str, str | None]]:
    """People who received the visitors, each with their title (None when not given).

    Each line is read as entries and, if that leaves fragments (a name or 先生 cut by the
    line end), the cell is read again as wrapped prose; the reading that names more people
    with fewer fragments wins.
    """
    lines = [line.strip() for line in (text or "").split("\n") if line.strip()]
    if not lines:
        return []
    by_line, bad = _parse(lines)
    if len(lines) == 1 or not bad:
        return by_line
    prose, prose_bad = _parse([join_wrapped(lines)])
    named = sum(1 for p in by_line if p["name"]) - 2 * bad
    return prose if sum(1 for p in prose if p["name"]) - 2 * prose_bad > named else by_line
