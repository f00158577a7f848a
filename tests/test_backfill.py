"""Backfills: windows walked in date order, progress in the log, killed and resumed, polite."""

from __future__ import annotations

import bisect
import json
import os
import re
import signal
import subprocess
import time
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from tests.conftest import TINY_PDF, make_announcements, run_crawl, start_crawl

RANGE = ("cninfo", "-a", "start=2024-01-01", "-a", "end=2024-04-09")  # ten 10-day windows
TEN_DAYS = {"BACKFILL_WINDOW_DAYS": "10"}
ONE_AT_A_TIME = {"CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}


def spread_records(per_window: int, body: bytes = TINY_PDF) -> list:
    """``per_window`` records on the 5th day of each of the ten windows."""
    records = []
    for n in range(10):
        day = (date(2024, 1, 5) + timedelta(days=10 * n)).isoformat()
        records += make_announcements(
            per_window, day=day, start_id=1400000000 + n * 1000, body=body
        )
    return records


def first_pages(site) -> list[str]:
    return [
        form["seDate"]
        for _, path, form in site.requests
        if path.endswith("/query") and form["pageNum"] == "1"
    ]


def in_order(values: list[str]) -> int:
    """How many of ``values`` are in ascending order: the longest ascending subsequence."""
    tails: list[str] = []
    for value in values:
        at = bisect.bisect_left(tails, value)
        tails[at : at + 1] = [value]
    return len(tails)


def finished_windows(archive: Path) -> list[str]:
    state = archive / "state" / "cninfo" / "backfill" / "2024-01-01_2024-04-09.json"
    return json.loads(state.read_text())["finished"] if state.exists() else []


@pytest.mark.alone
def test_backfill_walks_windows_in_order_and_logs_progress(cninfo, tmp_path):
    cninfo.site.announcements = spread_records(2)

    result = run_crawl(
        cninfo,
        *RANGE,
        archive=str(tmp_path),
        settings={**TEN_DAYS, **ONE_AT_A_TIME, "PROGRESS_INTERVAL": "0.2"},
    )

    assert result.returncode == 0, result.stderr[-3000:]
    pages = first_pages(cninfo.site)
    assert len(pages) == 10 and len(set(pages)) == 10
    # In date order, but for a page the crawl had to retry (a connection the loaded imitation
    # dropped): it goes back in the queue and can be sent after the next window's.
    retried = int((re.findall(r"'retry/count': (\d+)", result.stderr) or ["0"])[-1])
    assert in_order(pages) >= len(pages) - retried, (pages, retried)
    assert sorted(pages)[0] == "2024-01-01~2024-01-10"
    assert sorted(pages)[-1] == "2024-03-31~2024-04-09"
    assert len(finished_windows(tmp_path)) == 10
    assert "Backfill: 10/10 windows, 20 records" in result.stderr
    assert "finished (10/10)" in result.stderr

    again = run_crawl(cninfo, *RANGE, archive=str(tmp_path), settings=TEN_DAYS)

    assert again.returncode == 0, again.stderr[-3000:]
    assert "Resuming: 10 of 10 windows were finished by an earlier run" in again.stderr
    assert len(first_pages(cninfo.site)) == 10  # nothing listed again


@pytest.mark.alone
def test_killed_backfill_resumes_without_losing_or_repeating_records(cninfo, tmp_path):
    site = cninfo.site
    site.announcements = spread_records(3)
    site.file_delay = 0.15  # about a second a window at one download at a time
    slow = {**TEN_DAYS, **ONE_AT_A_TIME, "INDEX_SAVE_SECONDS": "0.5"}

    # In a session of its own, so that the kill below takes its parse workers with it (a pool
    # orphaned by the kill would outlive the test run).
    crawl = start_crawl(
        cninfo,
        *RANGE,
        archive=str(tmp_path),
        settings=slow,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(finished_windows(tmp_path)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(crawl.pid, signal.SIGKILL)  # the crawl's process group: it and its workers
    crawl.wait(timeout=30)

    done_before = finished_windows(tmp_path)
    assert 3 <= len(done_before) < 10
    records = tmp_path / "records" / "cninfo"
    before = {p.name: json.loads(p.read_text())["archived_at"] for p in records.iterdir()}
    assert len(before) < 30
    site.requests.clear()
    site.times.clear()
    site.file_delay = 0

    resumed = run_crawl(cninfo, *RANGE, archive=str(tmp_path), settings=TEN_DAYS)

    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"Resuming: {len(done_before)} of 10 windows" in resumed.stderr
    assert not set(first_pages(site)) & set(done_before)  # finished windows not listed again
    after = {p.name: json.loads(p.read_text()) for p in records.iterdir()}
    assert sorted(after) == sorted(f"{a.announcement_id}.json" for a in site.announcements)
    assert all("error" not in record and record["file"]["sha256"] for record in after.values())
    for name, archived_at in before.items():  # archived before the kill: not archived again
        assert after[name]["archived_at"] == archived_at
    # Fetched again: exactly what had no record at the kill. How many files were fetched but not
    # yet recorded then depends on how far the parse workers lagged the downloads.
    assert site.count("GET", "/finalpage/") == 30 - len(before)
    assert len(finished_windows(tmp_path)) == 10


@pytest.mark.alone
def test_backfill_keeps_to_the_configured_rate(cninfo, tmp_path):
    cninfo.site.announcements = spread_records(1)
    delay = 0.2

    result = run_crawl(
        cninfo,
        *RANGE,
        archive=str(tmp_path),
        settings={
            **TEN_DAYS,
            "DOWNLOAD_DELAY": str(delay),
            "AUTOTHROTTLE_ENABLED": "True",
            "DOWNLOAD_DELAY_JITTER": "0",
        },
    )

    assert result.returncode == 0, result.stderr[-3000:]
    times = sorted(cninfo.site.times)
    assert len(times) == 20  # ten listing pages and ten files, all on one host
    gaps = [b - a for a, b in pairwise(times)]
    # Arrival times at the server, which a loaded machine can bunch by some milliseconds;
    # a burst would show gaps near zero.
    assert min(gaps) >= delay * 0.75, gaps
