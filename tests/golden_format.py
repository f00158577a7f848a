"""How golden files store a parse result: long texts as digests, everything else as is.

A long text is not copied into the golden whole: it keeps the text's sha256, length and
first/last characters, which pins it exactly in a small, readable file.
"""

from __future__ import annotations

import hashlib
from typing import Any

LONG = 200


def digest(text: str | None) -> Any:
    """A long text as {sha256, length, start, end}; short texts and None unchanged."""
    if text is None or len(text) <= LONG:
        return text
    return {
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "length": len(text),
        "start": text[:40],
        "end": text[-40:],
    }


def to_golden(result: dict[str, Any]) -> dict[str, Any]:
    """The golden form of a parse result (parse block without the version, participants as
    institution and people)."""
    out = {
        k: v
        for k, v in result.items()
        if k not in ("parse", "content_text", "qa", "participants_text")
    }
    # the institutions' canonical names and types are tested in test_institutions.py
    out["participants"] = [
        {"institution": p["institution"], "people": p["people"]} for p in result["participants"]
    ]
    out["content_text"] = digest(result["content_text"])
    out["participants_text"] = digest(result["participants_text"])
    out["qa"] = [
        {"question": digest(q["question"]), "answer": digest(q["answer"])} for q in result["qa"]
    ]
    parse = dict(result["parse"])
    parse.pop("parser_version", None)
    out["parse"] = parse
    return out
