"""The daily crawl when the site cannot be reached: a quick failure that names the host and why,
with the production politeness settings, and nothing empty left in the archive."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from crawler import settings as production
from tests.archive_reader import LocalArchive
from tests.conftest import run_crawl
from tests.servers.cninfo import CninfoServer

# The retry and politeness settings a real run uses (run_crawl's FAST would hide slow retries).
POLITE = {
    name: str(getattr(production, name))
    for name in (
        "DOWNLOAD_DELAY",
        "AUTOTHROTTLE_ENABLED",
        "RETRY_TIMES",
        "RETRY_BACKOFF_BASE",
        "RETRY_BACKOFF_MAX",
        "CONCURRENT_REQUESTS",
        "CONCURRENT_REQUESTS_PER_DOMAIN",
    )
}


def closed_port() -> int:
    """A local port nothing listens on: bound, then closed, so connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def files_in(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def test_an_unreachable_site_fails_within_a_minute_naming_the_host(
    cninfo: CninfoServer, tmp_path: Path
):
    port = closed_port()
    nowhere = f"http://127.0.0.1:{port}"
    settings = {**POLITE, "CNINFO_BASE_URL": nowhere, "CNINFO_STATIC_URL": nowhere}

    started = time.monotonic()
    result = run_crawl(cninfo, "cninfo", archive=str(tmp_path), settings=settings, timeout=120)
    took = time.monotonic() - started

    assert result.returncode == 1, result.stderr[-3000:]
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"cannot reach 127.0.0.1:{port}: connection refused"
    )
    assert took < 60
    assert "Traceback" not in result.stderr
    assert "returned nothing" not in result.stderr  # never a clean run: no quiet-source warning
    assert cninfo.site.requests == []  # every request went to the closed port
    files = files_in(tmp_path)
    assert all(size > 0 for size in files.values()), files
    assert not [name for name in files if name.endswith(".jsonl")]  # no feed of nothing
    assert not (tmp_path / "state" / "cninfo" / "watermark.json").exists()
    [summary] = [json.loads(LocalArchive(tmp_path).read(name)) for name in files]
    assert summary["failed"] == f"cannot reach 127.0.0.1:{port}: connection refused"
    assert summary["quiet_sources"] == []


def test_a_site_that_answers_with_an_error_is_not_unreachable(cninfo, tmp_path):
    cninfo.site.listing_statuses = [404]  # not retried; before, Scrapy ignored it quietly

    result = run_crawl(
        cninfo, "cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10", archive=str(tmp_path)
    )

    assert result.returncode == 1
    assert "Unusable reply from" in result.stderr and "(HTTP 404)" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "crawl failed: 1 error(s) were logged"
    assert "cannot reach" not in result.stderr
    assert all(size > 0 for size in files_in(tmp_path).values())
