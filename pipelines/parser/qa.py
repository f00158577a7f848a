"""Questions and answers in the 主要内容 cell.

Styles: ``Q：/A：`` (also ``Q1：``/``A1：``), ``问：/答：``, ``问题9：/答复：``, numbered
``1、question？`` followed by ``答：`` or by a bare answer paragraph. Text before the first
question (prepared remarks) is not a question. A section heading (``四、会议结束``) ends the
current answer.
"""

from __future__ import annotations

import re

from .text import join_wrapped

_Q = re.compile(r"^\s*(?:Q\s*\d*|问\s*\d*|问题\s*\d*|提问\s*\d*|投资者提问\s*\d*)\s*[:：]\s*", re.I)
_A = re.compile(r"^\s*(?:A\s*\d*|答\s*\d*|答复|回答|回复|公司回复|公司答复)\s*[:：]\s*", re.I)
_NUMBERED = re.compile(r"^\s*(?P<n>\d{1,3})\s*[、.．]\s*(?=\S)(?!\d)")
_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|（[一二三四五六七八九十]+）|第[一二三四五六七八九十]+部分)"
)
_QEND = re.compile(r"[？?]\s*$")


def _join(lines: list[str]) -> str:
    return join_wrapped(lines)


def parse_qa(text: str) -> list[dict[str, str]]:
    """The question/answer pairs of a content cell, in order."""
    lines = [line.strip() for line in (text or "").split("\n") if line.strip()]
    if not lines:
        return []
    has_a = any(_A.match(line) for line in lines)
    if not has_a:
        return _numbered_without_markers(lines)
    pairs: list[dict[str, list[str]]] = []
    state = None  # "q", "a" or None
    preamble: list[str] = []
    expected = 1
    use_numbers = not any(_Q.match(line) for line in lines)
    for line in lines:
        numbered = _NUMBERED.match(line) if use_numbers else None
        if _Q.match(line) or (numbered and int(numbered["n"]) == expected and state != "q"):
            if numbered and not _Q.match(line):
                expected += 1
                body = line[numbered.end() :]
            else:
                body = _Q.sub("", line, count=1)
                if numbered:
                    expected += 1
            pairs.append({"q": [body], "a": []})
            state = "q"
        elif _A.match(line):
            body = _A.sub("", line, count=1)
            if state == "q" or state == "a":
                pairs[-1]["a"].append(body)
            else:
                # an answer whose question has no marker: the lines since the last sentence end
                start = len(preamble)
                while start > 0:
                    prev = preamble[start - 1]
                    if re.search(r"[。！!]\s*$", prev) or _HEADING.match(prev):
                        break
                    start -= 1
                question = preamble[start:]
                del preamble[start:]
                if not question:
                    continue
                pairs.append({"q": question, "a": [body]})
            state = "a"
        elif _HEADING.match(line):
            state = None
            preamble.append(line)
        elif state == "q":
            pairs[-1]["q"].append(line)
        elif state == "a":
            pairs[-1]["a"].append(line)
        else:
            preamble.append(line)
    return [
        {"question": _join(p["q"]), "answer": _join(p["a"])}
        for p in pairs
        if _join(p["q"]) or _join(p["a"])
    ]


def _numbered_without_markers(lines: list[str]) -> list[dict[str, str]]:
    """``1、question？`` then the answer paragraph(s), numbers in sequence."""
    pairs: list[dict[str, list[str]]] = []
    expected = 1
    state = None
    for line in lines:
        numbered = _NUMBERED.match(line)
        if numbered and int(numbered["n"]) == expected:
            expected += 1
            pairs.append({"q": [line[numbered.end() :]], "a": []})
            state = "a" if _QEND.search(line) else "q"
            continue
        if state == "q":
            pairs[-1]["q"].append(line)
            if _QEND.search(line):
                state = "a"
        elif state == "a":
            if _HEADING.match(line):
                state = None
                continue
            pairs[-1]["a"].append(line)
    good = [p for p in pairs if _QEND.search(_join(p["q"]))]
    if len(good) < max(1, len(pairs) // 2):
        return []
    return [{"question": _join(p["q"]), "answer": _join(p["a"])} for p in pairs]
