"""Compare one parse result with one hand-checked truth dict (tests/truth/README.md).

The single place that defines what "right" means for the truth tests
(tests/test_parser_truth.py) and the evaluation command (bench/evaluate.py). Pure functions.

``score(result, truth)`` returns::

    {
        "fields": {field: score in [0, 1]},      # only fields present in the truth
        "qa_recall": float | None, "qa_precision": float | None,   # None: no "qa" in truth
        "counts": {name: (hits, truth n, parsed n)},  # raw counts for micro-averaging
        "mismatches": ["field: expected …, got …", …],
    }

Field scores: the scalar fields, ``activity_types``, ``reception`` (F1 of names),
``reception_titles``, ``institutions`` (F1), ``people_count``, ``qa`` (F1 of recall and
precision) and ``qa_answers``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from pipelines.parser import parse_document

SCALAR_FIELDS = (
    "stock_code",
    "stock_name",
    "company_name",
    "activity_other",
    "start_date",
    "end_date",
    "record_date",
    "location",
)

# Punctuation and brackets that print differently (full/half width, curly/straight), dashes,
# separators, zero-width characters and the soft hyphen. Applied after NFKC.
_DROP = re.compile(
    r"[\s（）()【】「」“”‘’\"'《》·•,，、。.:：;；\-—–_/\u200b\u200c\u200d\u2060\ufeff\u00ad]+"
)
_SHOW = 40  # characters of a long text shown in a mismatch message


def norm(text: str | None) -> str | None:
    """NFKC, without whitespace and without punctuation that prints differently; None stays."""
    if text is None:
        return None
    return _DROP.sub("", unicodedata.normalize("NFKC", str(text)))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOW + 2 else text[: _SHOW + 1] + "…'"


def _f1(hits: int, n_truth: int, n_parsed: int) -> float:
    """F1 of a multiset match; 1.0 when both sides are empty."""
    if n_truth == 0 and n_parsed == 0:
        return 1.0
    return 2 * hits / (n_truth + n_parsed)


def _listing(items: list[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return f"[{shown}{f', … {len(items) - limit} more' if len(items) > limit else ''}]"


def _leftover(texts: list[str], surplus: Counter) -> list[str]:
    """The texts (as printed, in order) that make up a surplus of normalized strings."""
    surplus = Counter(surplus)
    out = []
    for text in texts:
        if surplus[norm(text)] > 0:
            surplus[norm(text)] -= 1
            out.append(text)
    return out


def _multiset(
    field: str, truth: Iterable[str], parsed: Iterable[str], mismatches: list[str]
) -> tuple[int, int, int]:
    """Multiset match of normalized strings: (hits, truth n, parsed n); mismatches appended."""
    truth, parsed = list(truth), list(parsed)
    want = Counter(norm(t) for t in truth)
    got = Counter(norm(p) for p in parsed)
    lost, added = _leftover(truth, want - got), _leftover(parsed, got - want)
    if lost:
        mismatches.append(f"{field}: missing {len(lost)} of {len(truth)} {_listing(lost)}")
    if added:
        mismatches.append(f"{field}: unexpected {len(added)} of {len(parsed)} {_listing(added)}")
    return sum((want & got).values()), len(truth), len(parsed)


def _titles_match(want: str | None, got: str | None) -> bool:
    """Equal after norm, or either contains the other; None only equals None."""
    a, b = norm(want), norm(got)
    if a is None or b is None:
        return a is b
    return a == b or (bool(a) and bool(b) and (a in b or b in a))


def starts_like(parsed: str | None, prefix: str | None) -> bool:
    """Does the parsed text begin with the truth's prefix (a stray leading char or few allowed)?"""
    want, got = norm(prefix) or "", norm(parsed) or ""
    if not want:
        return not got
    return got.startswith(want) or want in got[: len(want) + 4]


def align_qa(truth_qs: Sequence[str], parsed_qs: Sequence[str]) -> list[tuple[int, int]]:
    """Greedy monotone alignment: (truth index, parsed index) pairs, both increasing.

    Each truth question takes the first unused parsed question after the last match whose
    text starts like it; a truth question with no such parsed question stays unmatched.
    """
    pairs: list[tuple[int, int]] = []
    start = 0
    for i, q in enumerate(truth_qs):
        for j in range(start, len(parsed_qs)):
            if starts_like(parsed_qs[j], q):
                pairs.append((i, j))
                start = j + 1
                break
    return pairs


def people_count(result: dict) -> int | None:
    """The parser's ``people_count`` if it gives one, else the people named in participants."""
    if "people_count" in result:
        return result["people_count"]
    return sum(len(p.get("people") or []) for p in result.get("participants") or [])


def _score_reception(result: dict, truth: dict, out: dict) -> None:
    want = [p for p in truth["reception"] if p.get("name") is not None]
    got = [p for p in result.get("reception") or [] if p.get("name") is not None]
    mismatches = out["mismatches"]
    counts = _multiset("reception", [p["name"] for p in want], [p["name"] for p in got], mismatches)
    out["counts"]["reception"] = counts
    out["fields"]["reception"] = _f1(*counts)
    # Titles: each truth person is paired with the first unused parsed person of the same name.
    unused = list(got)
    right = 0
    for person in want:
        match = next((p for p in unused if norm(p["name"]) == norm(person["name"])), None)
        if match is None:
            mismatches.append(f"reception_titles: {person['name']}: name not found")
            continue
        unused.remove(match)
        if _titles_match(person.get("title"), match.get("title")):
            right += 1
        else:
            mismatches.append(
                f"reception_titles: {person['name']}: expected {_show(person.get('title'))}, "
                f"got {_show(match.get('title'))}"
            )
    out["counts"]["reception_titles"] = (right, len(want), len(got))
    out["fields"]["reception_titles"] = right / len(want) if want else 1.0


def _score_qa(result: dict, truth: dict, out: dict) -> None:
    want = truth["qa"]
    got = result.get("qa") or []
    truth_qs = [item["q"] for item in want]
    parsed_qs = [item.get("question") for item in got]
    pairs = align_qa(truth_qs, parsed_qs)
    hits, n_truth, n_parsed = len(pairs), len(want), len(got)
    recall = hits / n_truth if n_truth else (1.0 if n_parsed == 0 else 0.0)
    precision = hits / n_parsed if n_parsed else (1.0 if n_truth == 0 else 0.0)
    out["qa_recall"], out["qa_precision"] = recall, precision
    out["counts"]["qa"] = (hits, n_truth, n_parsed)
    out["fields"]["qa"] = (
        2 * recall * precision / (recall + precision) if recall + precision else 0.0
    )

    mismatches = out["mismatches"]
    matched_truth = {i for i, _ in pairs}
    matched_parsed = {j for _, j in pairs}
    for i, q in enumerate(truth_qs):
        if i not in matched_truth:
            mismatches.append(f"qa: truth Q{i + 1} {_show(q)} not found")
    for j, q in enumerate(parsed_qs):
        if j not in matched_parsed:
            mismatches.append(f"qa: unexpected parsed Q{j + 1} {_show(q)}")
    if n_truth != n_parsed:
        mismatches.append(f"qa: expected {n_truth} questions, got {n_parsed}")

    right = 0
    for i, j in pairs:
        expected, parsed = want[i]["a"], got[j].get("answer")
        if starts_like(parsed, expected):
            right += 1
        else:
            mismatches.append(
                f"qa_answers: truth Q{i + 1} (parsed Q{j + 1}) answer: expected to start "
                f"{_show(expected)}, got {_show(parsed)}"
            )
    out["counts"]["qa_answers"] = (right, hits, hits)
    # No matched pair: vacuously right only when there is nothing to find.
    out["fields"]["qa_answers"] = right / hits if hits else (1.0 if n_truth == 0 else 0.0)


def score(result: dict, truth: dict) -> dict:
    """Per-field scores, raw counts and mismatch messages of ``result`` against ``truth``."""
    out: dict[str, Any] = {
        "fields": {},
        "qa_recall": None,
        "qa_precision": None,
        "counts": {},
        "mismatches": [],
    }
    fields, mismatches = out["fields"], out["mismatches"]
    for field in SCALAR_FIELDS:
        if field not in truth:
            continue
        want, got = truth[field], result.get(field)
        right = norm(want) == norm(got)
        fields[field] = 1.0 if right else 0.0
        if not right:
            mismatches.append(f"{field}: expected {_show(want)}, got {_show(got)}")

    if "activity_types" in truth:
        want_set = {norm(t) for t in truth["activity_types"]}
        got_list = result.get("activity_types") or []
        right = want_set == {norm(t) for t in got_list}
        fields["activity_types"] = 1.0 if right else 0.0
        if not right:
            mismatches.append(f"activity_types: expected {truth['activity_types']}, got {got_list}")

    if "reception" in truth:
        _score_reception(result, truth, out)

    if "institutions" in truth:
        parsed = [
            p["institution"]
            for p in result.get("participants") or []
            if p.get("institution") is not None
        ]
        counts = _multiset("institutions", truth["institutions"], parsed, mismatches)
        out["counts"]["institutions"] = counts
        fields["institutions"] = _f1(*counts)

    if "people_count" in truth:
        got_count = people_count(result)
        right = got_count == truth["people_count"]
        fields["people_count"] = 1.0 if right else 0.0
        if not right:
            mismatches.append(f"people_count: expected {truth['people_count']}, got {got_count}")

    if "qa" in truth:
        _score_qa(result, truth, out)
    return out


def silent_loss(result: dict, truth: dict) -> bool:
    """Lost more than a tenth of the truth questions, yet status ok with no warnings."""
    if not truth.get("qa"):
        return False
    hits = len(
        align_qa(
            [item["q"] for item in truth["qa"]], [q.get("question") for q in result.get("qa") or []]
        )
    )
    parse = result.get("parse") or {}
    return (
        hits / len(truth["qa"]) < 0.9 and parse.get("status") == "ok" and not parse.get("warnings")
    )


def overall(scores: dict) -> float:
    """Mean of one document's per-field scores (qa as F1, with reception_titles, qa_answers)."""
    values = list(scores["fields"].values())
    return sum(values) / len(values) if values else 0.0


def parse_all(paths: list[Path]) -> dict[Path, dict | str]:
    """Each document parsed (largest first, over the CPUs); a raised error kept as its text."""
    paths = sorted(paths, key=lambda p: p.stat().st_size, reverse=True)
    out: dict[Path, dict | str] = {}
    with ProcessPoolExecutor(max_workers=max(1, min(len(paths), os.cpu_count() or 1))) as pool:
        futures = {path: pool.submit(parse_document, path.read_bytes()) for path in paths}
        for path, future in futures.items():
            try:
                out[path] = future.result()
            except Exception as exc:
                out[path] = f"parse_document raised {type(exc).__name__}: {exc}"
    return out
