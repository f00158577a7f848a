"""Measure the participant splitter against labelled participant cells (default: the copy of
../shared/corpus/ner/all_data.txt committed as tests/fixtures/ner/all_data.txt).

Each cell (blank-line separated, one character per line with a BIO tag) is rebuilt as text,
split with ``split_participants_text``, and the institution / person spans it returns are
compared with the labelled ones (exact character spans). Prints precision, recall and F1 per
class. Usage: ``.venv/bin/python bench/participants_ner.py [FILE]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.parser.participants import split_participants_text

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ner" / "all_data.txt"


def read_cells(path: Path) -> list[tuple[str, set[tuple[str, int, int]]]]:
    """(text, gold spans) per cell; spans are (ORG|PER, start, end). I- after O starts a span."""
    cells = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        chars, tags = [], []
        for line in block.split("\n"):
            parts = line.split()
            if len(parts) >= 2:
                chars.append(parts[0])
                tags.append(parts[-1])
        if not chars:
            continue
        spans: set[tuple[str, int, int]] = set()
        kind, start = None, 0
        for i, tag in enumerate([*tags, "O"]):
            prefix, _, typ = tag.partition("-")
            if kind and (prefix in ("B", "O") or typ != kind):
                spans.add((kind, start, i))
                kind = None
            if prefix in ("B", "I") and kind is None:
                kind, start = typ, i
        cells.append(("".join(chars), spans))
    return cells


def predicted_spans(text: str) -> set[tuple[str, int, int]]:
    """Spans of the splitter's institutions and people, located in ``text`` left to right."""
    spans: set[tuple[str, int, int]] = set()
    cursor = 0
    for entry in split_participants_text(text):
        items = [("ORG", entry["institution"])] if entry["institution"] else []
        items += [("PER", p) for p in entry["people"]]
        for kind, value in items:
            at = text.find(value, cursor)
            if at >= 0:
                spans.add((kind, at, at + len(value)))
                cursor = at + len(value)
    return spans


def measure(path: Path = DEFAULT) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and counts per class (ORG, PER)."""
    counts = {k: {"tp": 0, "pred": 0, "gold": 0} for k in ("ORG", "PER")}
    for text, gold in read_cells(path):
        pred = predicted_spans(text)
        for kind in counts:
            g = {s for s in gold if s[0] == kind}
            p = {s for s in pred if s[0] == kind}
            counts[kind]["tp"] += len(g & p)
            counts[kind]["pred"] += len(p)
            counts[kind]["gold"] += len(g)
    out = {}
    for kind, c in counts.items():
        precision = c["tp"] / c["pred"] if c["pred"] else 0.0
        recall = c["tp"] / c["gold"] if c["gold"] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[kind] = {"precision": precision, "recall": recall, "f1": f1, **c}
    return out


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        sys.exit(f"missing {path}: give a labelled file (one character and BIO tag a line)")
    for kind, m in measure(path).items():
        name = "institution" if kind == "ORG" else "person"
        print(
            f"{name:12s} precision {m['precision']:.3f}  recall {m['recall']:.3f}  f1 {m['f1']:.3f}"
            f"  (tp {m['tp']}, predicted {m['pred']}, gold {m['gold']})"
        )


if __name__ == "__main__":
    main()
