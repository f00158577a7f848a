"""Institution names against hand-labelled truth: type accuracy, merge precision and recall.

Usage: ``.venv/bin/python bench/orgs_eval.py [CSV] [--split dev|test|all] [--verbose]``.
The labelled names (default ``tests/fixtures/orgs/labelled.csv``: ``name,group,org_type``, read
by hand from held-out records) are split in two by a hash of the name: ``dev`` for looking at
mistakes while writing rules, ``test`` for the figures. Merge precision: of all pairs of names
given the same canonical, the share that are one institution in the truth; merge recall: of all
pairs that are one institution in the truth, the share given the same canonical.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.institutions import identify  # noqa: E402

DEFAULT = REPO / "tests" / "fixtures" / "orgs" / "labelled.csv"


def split_of(name: str) -> str:
    return "dev" if hashlib.sha1(name.encode()).digest()[0] % 2 == 0 else "test"


def measure(rows: list[dict[str, str]]) -> dict[str, float]:
    """type accuracy, merge precision, merge recall (and counts) of ``identify`` on ``rows``."""
    got = {row["name"]: identify(row["name"]) for row in rows}
    typed = sum(got[r["name"]].org_type == r["org_type"] for r in rows)
    same_got = same_truth = both = 0
    for a, b in combinations(rows, 2):
        g = got[a["name"]].canonical == got[b["name"]].canonical
        t = a["group"] == b["group"]
        same_got += g
        same_truth += t
        both += g and t
    return {
        "names": len(rows),
        "type_accuracy": typed / len(rows) if rows else 0.0,
        "merge_precision": both / same_got if same_got else 1.0,
        "merge_recall": both / same_truth if same_truth else 1.0,
        "pairs_merged": same_got,
        "pairs_true": same_truth,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    with args.csv.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if args.split in ("all", split_of(r["name"]))]
    for name, value in measure(rows).items():
        print(f"{name:16} {value:.3f}" if isinstance(value, float) else f"{name:16} {value}")
    if args.verbose:
        wrong = Counter()
        for row in rows:
            org = identify(row["name"])
            if org.org_type != row["org_type"]:
                wrong[(row["org_type"], org.org_type)] += 1
                print(f"type  {row['name']!r}: {org.org_type} (truth {row['org_type']})")
        groups: dict[str, set[str]] = {}
        for row in rows:
            groups.setdefault(identify(row["name"]).canonical, set()).add(row["group"])
        for canonical, truth in groups.items():
            if len(truth) > 1:
                print(f"merge {canonical!r} joins {sorted(truth)}")
        by_group: dict[str, set[str]] = {}
        for row in rows:
            by_group.setdefault(row["group"], set()).add(identify(row["name"]).canonical)
        for group, canon in by_group.items():
            if len(canon) > 1:
                print(f"split {group!r} into {sorted(canon)}")
        print(wrong.most_common(10))


if __name__ == "__main__":
    main()
