"""Parser throughput on ../shared/corpus/real/: documents and pages per second per process,
and the speed-up of 2 worker processes over 1 measured in the same run.

Usage: ``.venv/bin/python bench/parse_bench.py [ROUNDS]`` (default 1 round over the 12 PDFs).
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.parser import parse_document

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"


def run(blobs: list[bytes], workers: int) -> tuple[float, int]:
    """Seconds to parse every blob with ``workers`` processes, and the pages parsed."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(parse_document, blobs[:workers]))  # warm the workers (imports)
        start = time.perf_counter()
        results = list(pool.map(parse_document, blobs, chunksize=1))
        elapsed = time.perf_counter() - start
    return elapsed, sum(r["parse"]["pages"] or 0 for r in results)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    paths = sorted(REAL.glob("*.pdf"))
    if not paths:
        sys.exit(f"no PDFs in {REAL}: the shared corpus must sit beside the checkout")
    # biggest first so two workers finish together
    blobs = sorted((p.read_bytes() for p in paths), key=len, reverse=True) * rounds
    one, pages = run(blobs, 1)
    two, _ = run(blobs, 2)
    docs = len(blobs)
    print(f"{docs} documents, {pages} pages")
    print(f"1 process : {one:6.2f} s  {docs / one:5.2f} docs/s  {pages / one:6.1f} pages/s")
    print(
        f"2 processes: {two:6.2f} s  {docs / two:5.2f} docs/s  {pages / two:6.1f} pages/s"
        f"  ({docs / two / 2:5.2f} docs/s, {pages / two / 2:6.1f} pages/s per process)"
    )
    print(f"speed-up 2 vs 1: {one / two:.2f}x")


if __name__ == "__main__":
    main()
