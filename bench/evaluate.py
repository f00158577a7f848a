"""Parser accuracy against the hand-checked truth files (tests/truth/README.md).

Usage: ``.venv/bin/python bench/evaluate.py [--truth DIR] [--docs DIR] [--by-company] [--verbose]``

Parses every document that has a truth file and prints per-field accuracy (mean over the
documents whose truth has the field), Q&A recall and precision (micro and macro), reception-name
and institution F1 (micro), the overall field accuracy and the documents that silently lose
questions. The scoring is tests/truth_score.py, the same as the tests'. Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.parser import PARSER_VERSION  # noqa: E402
from tests.truth_score import overall, parse_all, score, silent_loss  # noqa: E402


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:5.1f}%"


def _micro_f1(
    counts: list[tuple[int, int, int]],
) -> tuple[float | None, float | None, float | None]:
    """Micro (recall, precision, F1) of summed (hits, truth n, parsed n)."""
    hits, n_truth, n_parsed = (sum(c[i] for c in counts) for i in range(3))
    recall = hits / n_truth if n_truth else None
    precision = hits / n_parsed if n_parsed else None
    f1 = 2 * hits / (n_truth + n_parsed) if n_truth + n_parsed else None
    return recall, precision, f1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--truth", type=Path, default=ROOT / "tests" / "truth")
    ap.add_argument("--docs", type=Path, default=ROOT / "tests" / "fixtures" / "records")
    ap.add_argument("--by-company", action="store_true", help="overall accuracy per stock code")
    ap.add_argument("--verbose", action="store_true", help="print each document's mismatches")
    args = ap.parse_args(argv)

    truths: dict[str, dict] = {}
    problems: list[str] = []
    for path in sorted(args.truth.glob("*.json")):
        try:
            truths[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"{path.name}: unreadable truth ({exc})")
    docs = {stem: args.docs / truth.get("file", f"{stem}.pdf") for stem, truth in truths.items()}
    for stem, doc in list(docs.items()):
        if not doc.is_file():
            problems.append(f"{stem}: document missing: {doc}")
            del docs[stem]

    start = time.perf_counter()
    results = parse_all(list(docs.values()))
    elapsed = time.perf_counter() - start

    scored: dict[str, dict] = {}
    lost: list[str] = []
    for stem, doc in docs.items():
        result = results[doc]
        if isinstance(result, str):
            problems.append(f"{stem}: parse_document raised {result}")
            result = {"parse": {"status": "failed", "warnings": [result]}}
        scored[stem] = score(result, truths[stem])
        if silent_loss(result, truths[stem]):
            lost.append(stem)

    print(
        f"{len(scored)} documents with truth (parser {PARSER_VERSION}), parsed in {elapsed:.1f} s"
    )
    by_field: dict[str, list[float]] = defaultdict(list)
    for s in scored.values():
        for field, value in s["fields"].items():
            by_field[field].append(value)
    print(f"\n{'field':<18} {'accuracy':>8}  {'docs':>4}  {'perfect':>7}")
    for field, values in by_field.items():
        perfect = sum(v == 1.0 for v in values)
        print(f"{field:<18} {_pct(_mean(values)):>8}  {len(values):>4}  {perfect:>7}")

    def counts(name: str) -> list[tuple[int, int, int]]:
        return [s["counts"][name] for s in scored.values() if name in s["counts"]]

    qa_recall, qa_precision, _ = _micro_f1(counts("qa"))
    answers = counts("qa_answers")
    answers_ok = sum(c[0] for c in answers) / sum(c[1] for c in answers) if answers else None
    with_qa = [s for s in scored.values() if s["qa_recall"] is not None]
    print(
        f"\nQ&A recall     micro {_pct(qa_recall)}  macro "
        f"{_pct(_mean([s['qa_recall'] for s in with_qa]))}"
    )
    print(
        f"Q&A precision  micro {_pct(qa_precision)}  macro "
        f"{_pct(_mean([s['qa_precision'] for s in with_qa]))}"
    )
    print(f"Q&A answers    micro {_pct(answers_ok)}  (of matched questions)")
    qa_hits, qa_truth, qa_parsed = (sum(c[i] for c in counts("qa")) for i in range(3))
    print(f"               {qa_hits} matched, {qa_truth} in truth, {qa_parsed} parsed")
    print(f"reception-name F1 (micro) {_pct(_micro_f1(counts('reception'))[2])}")
    print(f"institution F1 (micro)    {_pct(_micro_f1(counts('institutions'))[2])}")
    print(f"overall field accuracy    {_pct(_mean([overall(s) for s in scored.values()]))}")
    print(
        f"silent Q&A loss           {len(lost)} document(s){': ' if lost else ''}{', '.join(lost)}"
    )

    if args.by_company:
        companies: dict[str, list[float]] = defaultdict(list)
        for stem, s in scored.items():
            companies[stem[:6]].append(overall(s))
        print(f"\n{'company':<8} {'docs':>4}  {'overall':>8}")
        for code, values in sorted(companies.items()):
            print(f"{code:<8} {len(values):>4}  {_pct(_mean(values)):>8}")

    if args.verbose:
        for stem, s in scored.items():
            if s["mismatches"]:
                print(f"\n{stem}  (overall {_pct(overall(s))})")
                for line in s["mismatches"]:
                    print(f"  {line}")
    if problems:
        print("\nproblems:")
        for line in problems:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
