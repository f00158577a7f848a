"""Small text helpers shared by the field modules."""

from __future__ import annotations

import re
import unicodedata

_LATIN = re.compile(r"[A-Za-z0-9&.,)]")
_LATIN_START = re.compile(r"[A-Za-z0-9&(]")
_SPACES = re.compile(r"[ \u3000\u00a0]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_TAB = re.compile(r" *\t[\t ]*")


def clean(text: str | None) -> str:
    """Normalise spaces (NBSP, ideographic, zero-width) and strip each line and the whole text.

    A tab (a column gap the layout found) is kept, one per gap.
    """
    if not text:
        return ""
    text = _ZERO_WIDTH.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_TAB.sub("\t", _SPACES.sub(" ", line)).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def join_wrapped(lines: list[str], cjk_latin_space: bool = False) -> str:
    """Join lines that a layout wrapped: no separator inside Chinese, a space inside Latin.

    With ``cjk_latin_space`` a space is also put where Chinese meets Latin text.
    """
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out:
            a, b = out[-1], line[0]
            if (_LATIN.match(a) and _LATIN_START.match(b)) or (
                cjk_latin_space
                and (_LATIN.match(a) or _LATIN_START.match(b))
                and a not in "、；;，,（("
                and b not in "、；;，,）)"
            ):
                out += " "
        out += line
    return out


def squeeze_label(label: str) -> str:
    """A label without spaces, line breaks and stray punctuation.

    ``投资者关系；\\n活 动`` -> ``投资者关系活动``.
    """
    label = unicodedata.normalize("NFKC", label or "")
    return re.sub(r"[\s;；:：、*]+", "", label)


def cjk_digits(text: str) -> str:
    """Text with full-width digits and colons made ASCII (for dates and times)."""
    return unicodedata.normalize("NFKC", text)
