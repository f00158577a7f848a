"""Questions and answers in the 主要内容 cell.

Question markers come in two kinds. Explicit ones say "question": ``Q1：``, ``Q：``, ``问：``,
``问题 7:``, ``（1）问：``, ``1、问：``. Numbered ones only count: ``1、``, ``1.``, ``（1）``, or
``一、`` headings; a number is a marker only where the sequence expects it (a wrapped ``51.00%``
is not question 51), and of the sequences in a cell the one whose items read as questions wins
(agenda bullets and sub-points inside answers are sequences too). Answers are marked (``答：``,
``A1：``, ``回复：``) or not: an unmarked answer starts after the question's ``？`` or on the line
after a one-line question. :func:`parse_qa` also reports what it found suspect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import join_wrapped

_CN = "一二三四五六七八九十"
_EXPLICIT = re.compile(
    r"^\s*(?:[（(]?\d{1,3}[）)]?\s*[、.．]?\s*)?"
    r"(?:Q\s*(?P<q>\d{1,3})?|问\s*题\s*(?P<w>\d{1,3}|[" + _CN + r"]{1,3})?|提问\s*(?P<t>\d{1,3})?"
    r"|投资者提问\s*\d{0,3}|问\s*(?P<n>\d{1,3})?)"
    r"\s*(?:[:：]|[、.．](?!\d)|$)\s*",
    re.I,
)
_ANSWER = re.compile(
    r"^\s*(?:(?:A\s*\d{0,3}|答\s*\d{0,3}|回\s*复|答\s*复|回\s*答|公司回复|公司答复)\s*(?:[:：]\s*|$)"
    r"|(?:A\s*\d{1,3}|答)\s*[、.．](?!\d)\s*)",
    re.I,
)
_NUMBER = {
    "num": re.compile(r"^\s*(?P<n>\d{1,3})\s*[、.．]\s*(?=\S)"),
    "paren": re.compile(r"^\s*[（(]\s*(?P<n>\d{1,3})\s*[）)]\s*(?=\S)"),
    "cn": re.compile(r"^\s*(?P<n>[" + _CN + r"]{1,3})\s*[、.．]\s*(?=\S)"),
}
_HEADING = re.compile(
    r"^\s*(?:[" + _CN + r"]{1,3}\s*[、.．]|（[" + _CN + r"]{1,3}）|第[" + _CN + r"]+部分)"
)
# closing remarks after the last answer: they end it
_CLOSING = re.compile(
    r"^\s*(公司高管结束语|管理层总结|结束语|[（(]?以上(问题|内容|纪要|记录)|[☆★]|"
    r"(公司)?在?(本次)?(接待|交流|调研|活动|会议)过程中|本次(调研|活动|会议|交流)(中|过程)|"
    r"公司(参会|接待)人员.{0,6}(严格|遵守))"
)
_QEND = re.compile(r"[？?]\s*$")
_ANSWER_CUE = re.compile(
    r"^\s*(尊敬的投资者|投资者您好|尊敬的股东|您好|你好|感谢您|谢谢您|非常感谢)"
)


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    values = {c: i + 1 for i, c in enumerate(_CN)}
    if len(text) == 1:
        return values.get(text, 0)
    if text[0] == "十":
        return 10 + values.get(text[1], 0)
    if len(text) == 2 and text[1] == "十":
        return values.get(text[0], 0) * 10
    return values.get(text[0], 0) * 10 + values.get(text[-1], 0)


@dataclass
class QAResult:
    """The pairs found, and warnings about what looked wrong while finding them."""

    pairs: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unplaced: str = ""  # text after the first question that went into no pair


def _numbered(line: str, style: str) -> int | None:
    m = _NUMBER[style].match(line)
    if not m:
        return None
    return _cn_number(m["n"])


def _strip_marker(line: str, style: str) -> str:
    if style == "explicit":
        return _EXPLICIT.sub("", line, count=1)
    stripped = _NUMBER[style].sub("", line, count=1)
    return _BARE_NUMBER.sub("", stripped, count=1) if stripped == line else stripped


def _questionlike(lines: list[str], start: int, end: int, style: str) -> bool:
    """Whether the item at ``start`` (up to ``end``) reads as a question and its answer."""
    head = [_strip_marker(lines[start], style), *lines[start + 1 : min(end, start + 4)]]
    for i, line in enumerate(head):
        if "？" in line or "?" in line:
            return True
        if i and (_ANSWER.match(line) or _ANSWER_CUE.match(line)):
            return True
    return False


_BARE_NUMBER = re.compile(r"^\s*(?P<n>\d{1,3})\s*(?=[\u4e00-\u9fff])")
_WRAPPED_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.．]\s*\d")
_SENTENCE_END = re.compile(r"[。！？?!；;：:）)\]】”\"]\s*$")


def _sequences(lines: list[str], style: str) -> list[list[int]]:
    """Runs of line indices numbered 1, 2, 3… in ``style`` (a new 1 starts a new run).

    ``3.0 版本`` at the start of a line that continues an unfinished sentence is a number the
    layout wrapped, not question 3.
    """
    runs: list[list[int]] = []
    for i, line in enumerate(lines):
        n = _numbered(line, style)
        if n is None and style == "num" and i and _SENTENCE_END.search(lines[i - 1]):
            m = _BARE_NUMBER.match(line)  # 5请正面答复…: the separator left out
            n = int(m["n"]) if m and any(len(run) + 1 == int(m["n"]) > 1 for run in runs) else None
        if n is None:
            continue
        if i and _WRAPPED_NUMBER.match(line) and not _SENTENCE_END.search(lines[i - 1]):
            continue
        open_runs = [run for run in runs if len(run) + 1 == n]
        if open_runs:  # sub-points numbered inside an answer do not end the main sequence
            max(open_runs, key=lambda run: (len(run), run[0])).append(i)
        elif n == 1:
            runs.append([i])
    return runs


def _question_starts(lines: list[str]) -> tuple[list[int], str]:
    """Line indices where questions start, and the marker style."""
    explicit = [
        i for i, line in enumerate(lines) if _EXPLICIT.match(line) and not _ANSWER.match(line)
    ]
    # ``问题 7`` alone on a line followed by ``问：``: one question, not two
    explicit = [
        i
        for i in explicit
        if not (i - 1 in explicit and not _strip_marker(lines[i - 1], "explicit").strip())
    ]
    best: tuple[float, list[int], str] | None = None
    for style in ("num", "paren", "cn"):
        for run in _sequences(lines, style):
            ends = [*run[1:], len(lines)]
            score = sum(_questionlike(lines, s, e, style) for s, e in zip(run, ends, strict=True))
            if len(run) == 1 and score == 0:
                continue
            key = score + 0.01 * len(run) + (0.5 if style != "cn" else 0)
            if score >= 0.5 * len(run) and (best is None or key >= best[0]):
                best = (key, run, style)
    if explicit and (best is None or len(explicit) >= 0.5 * best[0]):
        return explicit, "explicit"
    if best is None:
        return [], ""
    return best[1], best[2]


_CUE_AFTER_MARK = re.compile(r"[？?]\s*(?=尊敬的|投资者您好|您好|你好|感谢您|谢谢您|非常感谢)")


def _split_question(block: list[str]) -> tuple[list[str], list[str]]:
    """A question's lines and its answer's lines, from the block between two questions."""
    for i, line in enumerate(block):
        if i and _ANSWER.match(line):
            return block[:i], [_ANSWER.sub("", line, count=1), *block[i + 1 :]]
    limit = min(len(block), 10)
    cue = next((i for i in range(1, limit) if _ANSWER_CUE.match(block[i])), None)
    for i in range(limit if cue is None else cue):
        if m := _CUE_AFTER_MARK.search(block[i]):  # 回报？您好！公司… on one line
            return [*block[:i], block[i][: m.end()]], [block[i][m.end() :], *block[i + 1 :]]
    if cue is not None:
        return block[:cue], block[cue:]
    last = max((i for i in range(min(len(block), 4)) if _QEND.search(block[i])), default=None)
    if last is not None:
        return block[: last + 1], block[last + 1 :]
    for i, line in enumerate(block[:4]):
        if m := re.search(r"[？?]", line):  # the answer starts on the line of the question mark
            return [*block[:i], line[: m.end()]], [line[m.end() :], *block[i + 1 :]]
    return block[:1], block[1:]


def parse_qa(text: str) -> QAResult:
    """The question/answer pairs of a content cell, in order, with the suspect findings."""
    out = QAResult()
    lines = [line.strip() for line in (text or "").split("\n") if line.strip()]
    if not lines:
        return out
    starts, style = _question_starts(lines)
    if not starts:
        answers = sum(1 for line in lines if _ANSWER.match(line))
        if answers >= 2:
            out.warnings.append(f"qa: {answers} answer markers but no question found")
        return out
    first = next((i for i, line in enumerate(lines[: starts[0]]) if _ANSWER.match(line)), None)
    if first is not None and style == "explicit":
        # an answer before the first marked question: its question is the unmarked lines
        # above it, back to the last sentence end (公司订单如何？\n答：… then 问：…)
        top = first
        while (
            top > 0
            and not re.search(r"[。！!]$", lines[top - 1])
            and not _HEADING.match(lines[top - 1])
        ):
            top -= 1
        if top < first:
            question, answer = lines[top:first], lines[first : starts[0]]
            answer[0] = _ANSWER.sub("", answer[0], count=1)
            out.pairs.append({"question": join_wrapped(question), "answer": join_wrapped(answer)})
    ends = [*starts[1:], len(lines)]
    for n, (start, end) in enumerate(zip(starts, ends, strict=True)):
        block = [_strip_marker(lines[start], style), *lines[start + 1 : end]]
        if not block[0].strip() and len(block) > 1 and _EXPLICIT.match(block[1]):
            block = [_strip_marker(block[1], style), *block[2:]]  # 问题 1 / 问：…
        if n == len(starts) - 1 and style != "cn":
            for k, line in enumerate(block[1:], 1):
                if (_HEADING.match(line) or _CLOSING.match(line)) and not _ANSWER.match(line):
                    out.unplaced = "\n".join(block[k:])
                    block = block[:k]  # a section after the last answer (四、会议结束)
                    break
        question, answer = _split_question(block)
        out.pairs.append({"question": join_wrapped(question), "answer": join_wrapped(answer)})
    if style == "explicit":
        numbers = [
            int(m.group("q") or m.group("w") or m.group("t") or m.group("n"))
            for line in (lines[i] for i in starts)
            if (m := _EXPLICIT.match(line))
            and (m.group("q") or m.group("t") or m.group("n") or (m.group("w") or "").isdigit())
        ]
        if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            out.warnings.append(f"qa: question numbers skip or repeat ({numbers[:12]})")
    unanswered = sum(1 for p in out.pairs if not p["answer"])
    if unanswered:
        out.warnings.append(f"qa: {unanswered} question(s) without an answer")
    markers = sum(1 for line in lines[starts[0] :] if _ANSWER.match(line))
    if markers > len(starts):
        out.warnings.append(f"qa: {markers} answer markers for {len(starts)} questions")
    return out
