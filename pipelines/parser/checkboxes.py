"""Which 活动类别 options are ticked.

Ticked: ☑ √ ✓ ✔ ■ ☒ ⊠, a cross (× ✗ X) and Wingdings U+F0FE (also U+F052 / U+F0FD); empty:
□ ☐ and Wingdings U+F0A8 (also U+F06F / U+F071). When a ticked glyph was lost in conversion,
the ticked options are the ones with no box in front while the others have one.
"""

from __future__ import annotations

import re

OPTIONS = (
    "特定对象调研",
    "分析师会议",
    "媒体采访",
    "业绩说明会",
    "新闻发布会",
    "路演活动",
    "现场参观",
    "其他",
)
TICKED = "☑√✓✔■☒⊠×✗✘Xx\uf0fe\uf052\uf0fd\uf0fc"
EMPTY = "□☐\uf0a8\uf06f\uf071"
_OPTION = re.compile("|".join(OPTIONS))
_PLACEHOLDER = re.compile(r"^(请?文字说明.*|请注明.*|如有.*)$")


def _mark_before(text: str, start: int, floor: int) -> str | None:
    """The box glyph in front of an option (spaces and underscores skipped), or None."""
    i = start - 1
    while i >= floor and text[i] in " \t\u3000_\n":
        i -= 1
    if i >= floor and (text[i] in TICKED or text[i] in EMPTY):
        return text[i]
    return None


def _other_text(text: str) -> str | None:
    m = re.match(r"\s*[:：]?\s*[（(]\s*([^）)]*?)\s*[）)]", text)
    if m:
        value = m.group(1).strip(" _:：")
    else:
        m = re.match(r"\s*[:：]?\s*([^\n□☐☑√✓✔■☒\uf0fe\uf0a8]*)", text)
        value = m.group(1).strip(" _:：") if m else ""
    if not value or _PLACEHOLDER.match(value):
        return None
    return value


def parse_activity(text: str) -> tuple[list[str], str | None, list[str]]:
    """Ticked option labels in standard order, the 其他 text (if 其他 is ticked), warnings."""
    warnings: list[str] = []
    if not text:
        return [], None, warnings
    text = re.sub(
        r"(?<=[\u4e00-\u9fff])\n(?=[\u4e00-\u9fff])", "", text
    )  # labels wrapped in the cell
    found: list[tuple[str, str | None, int]] = []
    seen: set[str] = set()
    floor = 0
    for m in _OPTION.finditer(text):
        option = m.group(0)
        if option in seen:
            continue
        seen.add(option)
        found.append((option, _mark_before(text, m.start(), floor), m.end()))
        floor = m.end()
    if not found:
        return [], None, ["activity: no standard option found"]
    any_mark = any(mark for _, mark, _ in found)
    any_ticked = any(mark and mark in TICKED for _, mark, _ in found)
    ticked: list[tuple[str, int]] = []
    if any_ticked:
        ticked = [(o, end) for o, mark, end in found if mark and mark in TICKED]
    elif any_mark:
        ticked = [(o, end) for o, mark, end in found if mark is None]
        if ticked:
            warnings.append("activity: ticked glyph missing, took options without a box")
    if not any_mark:
        warnings.append("activity: no checkbox glyphs")
    order = {o: i for i, o in enumerate(OPTIONS)}
    types = sorted((o for o, _ in ticked), key=order.__getitem__)
    other = None
    for option, end in ticked:
        if option == "其他":
            other = _other_text(text[end:])
    return types, other, warnings
