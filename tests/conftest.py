"""Fixtures: a real SeaweedFS S3 server, cninfo imitations over real HTTP, and crawl runs."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.servers.cninfo import Announcement, CninfoServer, CninfoSite, real_pdfs
from tests.servers.seaweed import SeaweedS3, start_seaweed

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = timezone(timedelta(hours=8))
# No waiting in tests: the politeness settings are tested by reading them, not by sleeping.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_BACKOFF_BASE": "0.05",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "CONCURRENT_REQUESTS": "16",
    "LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    try:
        yield server
    finally:
        server.stop()


_buckets = itertools.count()


@pytest.fixture
def bucket(seaweed: SeaweedS3) -> str:
    name = f"archive-{os.getpid()}-{next(_buckets)}"
    seaweed.client().create_bucket(Bucket=name)
    return name


TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # for volume tests


def make_announcements(
    count: int,
    day: str = "2024-05-09",
    code: str = "002415",
    start_id: int = 1225000000,
    body: bytes | None = None,
) -> list[Announcement]:
    """``count`` records of one stock on one day, each serving ``body`` or, by default, one of
    the real corpus PDFs."""
    pdfs = [body] if body is not None else [p.read_bytes() for p in real_pdfs()]
    first = datetime.fromisoformat(day).replace(hour=18, tzinfo=SHANGHAI)
    return [
        Announcement(
            announcement_id=str(start_id + n),
            code=code,
            name="海康威视",
            org_id=f"gssz0{code}",
            published=first + timedelta(minutes=n % 300),
            title=f"{day}投资者关系活动记录表",
            body=pdfs[n % len(pdfs)],
        )
        for n in range(count)
    ]


@pytest.fixture
def cninfo() -> Iterator[CninfoServer]:
    with CninfoServer(CninfoSite()) as server:
        yield server


def run_crawl(
    server: CninfoServer,
    *args: str,
    archive: str,
    env: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 300,
    command: str = "crawl",
) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy crawl`` (or ``command``) in its own process, as a user would, against the
    cninfo imitation; ``env`` points the other sources' URLs at their imitations."""
    command_line = [sys.executable, "-m", "scrapy", command, *args]
    for key, value in {**FAST, **(settings or {})}.items():
        command_line += ["-s", f"{key}={value}"]
    full_env = {
        **os.environ,
        "CNINFO_BASE_URL": server.url,
        "CNINFO_STATIC_URL": server.url,
        "ARCHIVE_URI": archive,
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    if not archive:
        del full_env["ARCHIVE_URI"]
    return subprocess.run(
        command_line,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template-variant test documents, built once per session from ../shared texts."""
    from tests.docgen.build_documents import build_all

    out = tmp_path_factory.mktemp("documents")
    build_all(out)
    return out
