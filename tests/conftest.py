"""Fixtures: a real SeaweedFS S3 server, cninfo imitations over real HTTP, and crawl runs.

The suite runs in parallel (pytest-xdist, ``-n`` in pyproject's addopts): session fixtures are per
worker process, so each worker starts its own SeaweedFS on ports of its own, and the generated
documents are built once per run under a lock and shared by the workers. A test marked ``alone``
(it asserts on timing) runs while no other test of the run does."""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pipelines.parser import PARSER_VERSION
from tests.servers.bse import BseSite
from tests.servers.cninfo import Announcement, CninfoServer, CninfoSite, real_pdfs
from tests.servers.p5w import P5wSite
from tests.servers.seaweed import SeaweedS3, start_seaweed
from tests.servers.site import SiteServer

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
    # One parse worker a crawl: the tests run two at a time on two CPUs already, and each extra
    # worker costs its start (about 0.5 s of CPU) in every crawl.
    "PARSE_WORKERS": "1",
}


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: a worker a CPU, and one more. The tests spend about a third of their time
    waiting (on crawls that start, servers, retry pauses): on two CPUs a third worker took the
    suite from 227 s to 182 s."""
    return len(os.sched_getaffinity(0)) + 1


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's base temporary folder: under xdist, the one all workers of the run share (each
    has its own folder inside); a fresh one every run."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@contextmanager
def run_lock(tmp_path_factory: pytest.TempPathFactory, *, exclusive: bool) -> Iterator[None]:
    """Under xdist, the run-wide lock that lets an ``alone`` test run by itself: it holds the
    lock exclusively, every other test (and a worker's CPU-heavy session setup) holds it shared.
    Without xdist there is nothing else to wait for.

    flock favours no one, so the tests of the other workers, one after another, could keep an
    ``alone`` test waiting (and its worker idle) to the end of the run. A gate in front of the
    lock stops that: a test passes the gate to take its shared lock, an ``alone`` test keeps the
    gate closed while it waits for the running tests to end and while it runs."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    folder = run_folder(tmp_path_factory)
    # Both released when their files are closed.
    with open(folder / "alone.gate", "a") as gate, open(folder / "alone.lock", "a") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        if not exclusive:
            fcntl.flock(gate, fcntl.LOCK_UN)
        yield


@pytest.fixture(autouse=True)
def _alone_or_together(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """``@pytest.mark.alone``: the test asserts on timing (request rates, pauses, the work in flight
    when a crawl is killed), which a test running beside it on the other CPU would skew."""
    with run_lock(tmp_path_factory, exclusive=request.node.get_closest_marker("alone") is not None):
        yield


@pytest.fixture
def s3_store_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test that opens an S3 archive in its own process: ``open_archive`` sets the
    endpoint and credentials on the store class, and they are put back after the test."""
    from pipelines.storage import S3ArchiveStore

    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_REGION_NAME",
        "AWS_USE_SSL",
        "AWS_VERIFY",
        "POLICY",
    ):
        monkeypatch.setattr(S3ArchiveStore, name, getattr(S3ArchiveStore, name, None))


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    with run_lock(tmp_path_factory, exclusive=False):
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
# ``scrapy reparse`` arguments that pick every record an older parser version wrote
REPARSE_OUTDATED = ("--parser-older-than", PARSER_VERSION)


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


@pytest.fixture
def bse() -> Iterator[SiteServer]:
    with SiteServer(BseSite()) as server:
        yield server


@pytest.fixture
def p5w() -> Iterator[SiteServer]:
    with SiteServer(P5wSite()) as server:
        yield server


def p5w_env(p5w: SiteServer) -> dict[str, str]:
    """The p5w spider's URLs pointed at the imitation ``p5w``, both of its roadshow types."""
    return {"P5W_RS_URL": p5w.url, "P5W_IR_URL": p5w.url, "P5W_ROADSHOW_TYPES": "5,12"}


def _scrapy(
    server: CninfoServer,
    line: list[str],
    archive: str,
    env: dict[str, str] | None,
    settings: dict[str, str] | None,
) -> tuple[list[str], dict[str, str]]:
    """Python's command ``line`` (Scrapy's command and its arguments) with the FAST settings and
    ``settings``, and its environment against the cninfo imitation."""
    line = [sys.executable, *line]
    for key, value in {**FAST, **(settings or {})}.items():
        line += ["-s", f"{key}={value}"]
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
    return line, full_env


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
    line, full_env = _scrapy(server, ["-m", "scrapy", command, *args], archive, env, settings)
    return subprocess.run(
        line,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def crawl_bse_stock(
    cninfo: CninfoServer, bse: SiteServer, *args: str, archive: str
) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl ARGS -a stock=920007`` against the bse.cn imitation ``bse``, with 920007 in
    cninfo's stock list as a Beijing company (where the spider looks the stock up)."""
    cninfo.site.extra_stocks = [
        {"orgId": "gfbj0920007", "category": "A股", "code": "920007", "pinyin": "", "zwjc": "x"}
    ]
    stock = ("-a", "stock=920007")
    return run_crawl(cninfo, *args, *stock, archive=archive, env={"BSE_BASE_URL": bse.url})


def start_crawl(
    server: CninfoServer,
    *args: str,
    archive: str,
    env: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    command: str = "crawl",
    launcher: tuple[str, ...] = ("-m", "scrapy"),
    **popen: Any,
) -> subprocess.Popen[str]:
    """``run_crawl`` started, not waited for. ``launcher``: how Python starts Scrapy; ``popen``:
    Popen's own arguments (stdout, ...)."""
    line, full_env = _scrapy(server, [*launcher, command, *args], archive, env, settings)
    return subprocess.Popen(line, cwd=ROOT, env=full_env, text=True, **popen)


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template-variant test documents, built from tests/fixtures/texts once per run: under
    xdist the first worker that needs them builds them (LibreOffice, with a profile of its own)
    into the run's shared temporary folder while the others wait on the lock, then reuse them."""
    from tests.docgen.build_documents import build_all

    root = run_folder(tmp_path_factory)
    out, built = root / "documents", root / "documents.built"
    with open(root / "documents.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not built.exists():
            shutil.rmtree(out, ignore_errors=True)  # what a failed build left
            with run_lock(tmp_path_factory, exclusive=False):
                build_all(out)
            built.touch()
    return out


def run_scrapy(
    *args: str,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m scrapy ARGS`` run from ``cwd`` (the project by default) with ``env`` (this
    process's by default), its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        input=stdin,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def scrapy_outside_project(
    cwd: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m scrapy ARGS`` run from ``cwd`` with no project settings, as a user runs a
    command from any directory once the package is installed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    return run_scrapy(*args, cwd=cwd, env=env, stdin=stdin)
