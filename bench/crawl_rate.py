"""Crawl throughput against the local cninfo imitation, as a ratio to a plain download loop.

The baseline fetches the same files one by one with urllib and writes them to disk, in the same
run; the crawl is ``scrapy crawl cninfo`` into a local archive with the test settings (no
politeness delay). Two corpora: tiny PDFs (listing + archive cost alone) and the real PDFs
(parse-bound, PARSE_WORKERS processes).

Usage: ``.venv/bin/python bench/crawl_rate.py [RECORDS]`` (default 600).
"""

from __future__ import annotations

import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import TINY_PDF, make_announcements, run_crawl  # noqa: E402
from tests.servers.cninfo import CninfoServer, CninfoSite  # noqa: E402

WINDOW = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
HEADERS = {"User-Agent": "Mozilla/5.0 bench"}


def baseline(server: CninfoServer, out: Path) -> float:
    """Seconds for a sequential download-and-write of every file."""
    start = time.perf_counter()
    for a in server.site.announcements:
        request = urllib.request.Request(f"{server.url}/{a.adjunct_url}", headers=HEADERS)
        with urllib.request.urlopen(request) as reply:
            (out / f"{a.announcement_id}.pdf").write_bytes(reply.read())
    return time.perf_counter() - start


def crawl(server: CninfoServer, out: Path) -> float:
    start = time.perf_counter()
    result = run_crawl(server, *WINDOW, archive=str(out), settings={"LOG_LEVEL": "WARNING"})
    if result.returncode != 0:
        sys.exit(f"crawl failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def measure(label: str, records: int, body: bytes | None) -> None:
    site = CninfoSite(make_announcements(records, body=body))
    with CninfoServer(site) as server, tempfile.TemporaryDirectory() as tmp:
        base = baseline(server, Path(tmp))
        took = crawl(server, Path(tmp) / "archive")
    print(
        f"{label}: {records} records; baseline {records / base:.1f} files/s; "
        f"crawl {records / took:.1f} records/s (whole process, start-up included); "
        f"crawl/baseline {base / took:.2f}"
    )


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    measure("tiny PDFs", records, TINY_PDF)
    measure("real PDFs (parsed)", min(records, 48), None)


if __name__ == "__main__":
    main()
