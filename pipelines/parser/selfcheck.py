"""The parser's opinion of its own result: what it read but could not place.

Each finding is a warning that names what is suspect; a record with a finding is ``partial``.
The checks compare the fields with the text they came from, so a template the rules do not
know shows up as a warning instead of a quiet loss.
"""

from __future__ import annotations

import re
from typing import Any

from .qa import QAResult

_QUESTION_LINE = re.compile(r"[？?]\s*$")
_BOILERPLATE = re.compile(
    r"排名不分先后|等\s*\d*\s*[家名位个]?(机构|单位|投资者|人)?|共\s*\d+\s*[家名位人]|投资者|参与|参会|"
    r"单位|名称|机构|人员|姓名|序号|详见附件|附件|及|和|以及|其他|线上|网上|电话会议|会议"
)
_AUDIENCE = re.compile(r"(及|和|以及)?(参与|参加|线上|网上|在线|通过)[^、，,；;]{0,60}?投资者")
# Share of a participants cell's characters that may stay unplaced (separators, tails).
_UNPLACED_SHARE = 0.12


def _squeeze(text: str) -> str:
    return re.sub(r"[\s、，,；;：:。.（）()“”\"'《》\-—_/]+", "", text)


def check_qa(content: str | None, found: QAResult) -> list[str]:
    """Warnings about the Q&A: question-like lines outside every pair, text left after the
    last answer."""
    warnings = list(found.warnings)
    lines = [line.strip() for line in (content or "").split("\n") if line.strip()]
    if not found.pairs:
        asked = sum(1 for line in lines if _QUESTION_LINE.search(line))
        if asked >= 2:
            warnings.append(f"qa: {asked} lines end in a question mark but no question was found")
        return warnings
    first = found.pairs[0]["question"][:12]
    before = []
    for line in lines:
        if first and line.replace(" ", "").find(first.replace(" ", "")[:6]) >= 0:
            break
        before.append(line)
    asked = sum(1 for line in before if _QUESTION_LINE.search(line))
    if asked >= 2:
        warnings.append(f"qa: {asked} question-like lines before the first question")
    asked = sum(1 for line in found.unplaced.split("\n") if _QUESTION_LINE.search(line))
    if asked:
        warnings.append(f"qa: {asked} question-like line(s) after the last answer")
    return warnings


# a count of all the institutions (59 家机构，详见附件), not of the rest (…等 106 家机构)
_STATED = re.compile(r"(?<![等\d])(\d+)家(机构|单位)")


def check_participants(
    text: str | None, participants: list[dict[str, Any]], listed_here: bool = True
) -> list[str]:
    """A warning when fewer institutions were read than the cell says there are (``59 家机构，
    详见附件``) or, for a list in the cell itself (``listed_here``), when much of its text went
    into no institution or person."""
    stated = _STATED.search(re.sub(r"\s+", "", text or ""))
    read = sum(1 for p in participants if p.get("institution"))
    if stated and read < 0.9 * int(stated.group(1)):
        return [f"participants: {stated.group(1)} institutions stated, {read} read"]
    if not listed_here:
        return []
    text = _AUDIENCE.sub("", text or "")
    rest = _squeeze(text)
    total = len(rest)
    if not total:
        return []
    if not participants:
        pieces = len(re.findall(r"[、，,；;]", text or ""))
        return [f"participants: a list of {pieces + 1} but no entry read"] if pieces >= 2 else []
    names = [p["institution"] for p in participants if p.get("institution")]
    names += [n for p in participants for n in p.get("people") or []]
    for name in sorted((_squeeze(n) for n in names), key=len, reverse=True):
        if name:
            rest = rest.replace(name, "")  # every time: an institution printed twice is one entry
    rest = _BOILERPLATE.sub("", rest)
    rest = re.sub(r"\d+", "", rest)
    if len(rest) > max(6, _UNPLACED_SHARE * total):
        return [f"participants: text not placed in any entry: {rest[:40]!r}"]
    return []
