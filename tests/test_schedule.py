"""Scheduled runs: the watermark in the archive, the overlap, the archive index, the run summary.

The crawl's clock is pinned (CRAWL_NOW) just after and just before midnight in Shanghai, when
the day there and the day in UTC differ or are about to, instead of following the wall clock.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from crawler import clock
from tests.archive_reader import LocalArchive, S3Archive, index_entries
from tests.conftest import SHANGHAI, TINY_PDF, make_announcements, run_crawl

# 00:05 in Shanghai is still the day before in UTC; 23:55 is the same day in both.
NEAR_MIDNIGHT = ["2024-05-09T00:05:00+08:00", "2024-05-09T23:55:00+08:00"]


@pytest.fixture(params=NEAR_MIDNIGHT, ids=["0005", "2355"])
def now(request: pytest.FixtureRequest) -> datetime:
    """The pinned time of the crawls in a test."""
    return datetime.fromisoformat(request.param)


def pinned(now: datetime) -> dict[str, str]:
    return {"CRAWL_NOW": now.isoformat()}


def listing_dates(site) -> list[str]:
    return [form["seDate"] for _, path, form in site.requests if path.endswith("/query")]


def file_gets(site) -> dict[str, int]:
    counts: dict[str, int] = {}
    for method, path, _ in site.requests:
        if method == "GET" and path.startswith("/finalpage/"):
            source_id = path.rsplit("/", 1)[1].split(".")[0]
            counts[source_id] = counts.get(source_id, 0) + 1
    return counts


def summaries(archive) -> list[dict]:
    return [json.loads(archive.read(k)) for k in archive.keys("runs/") if k.endswith(".json")]


def test_the_clock_is_china_time_and_can_be_pinned(monkeypatch):
    assert clock.now().utcoffset() == timedelta(hours=8)
    assert clock.today({"CRAWL_NOW": "2024-05-08T16:05:00Z"}).isoformat() == "2024-05-09"
    assert clock.now({"CRAWL_NOW": "2024-05-09T23:55"}) == datetime(
        2024, 5, 9, 23, 55, tzinfo=SHANGHAI
    )
    monkeypatch.setenv("CRAWL_NOW", "2024-05-09T00:05:00+08:00")
    assert clock.today().isoformat() == "2024-05-09"
    assert clock.today({"CRAWL_NOW": "2024-06-01T12:00:00+08:00"}).isoformat() == "2024-06-01"
    with pytest.raises(clock.ClockError, match="CRAWL_NOW='tomorrow'"):
        clock.now({"CRAWL_NOW": "tomorrow"})


def test_two_daily_runs_catch_a_late_posting_once(cninfo, seaweed, bucket, now):
    today = now.date()
    day = [(today - timedelta(days=n)).isoformat() for n in range(4)]
    site = cninfo.site
    site.announcements = [
        *make_announcements(2, day=day[0], start_id=1300000000),
        *make_announcements(1, day=day[1], start_id=1300100000),
    ]
    archive_uri = f"s3://{bucket}/ir"

    first = run_crawl(
        cninfo, "cninfo", archive=archive_uri, env=seaweed.env(), settings=pinned(now)
    )

    assert first.returncode == 0, first.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket, "ir/")
    assert json.loads(archive.read("state/cninfo/watermark.json")) == {
        "through": day[0],
        "updated": now.astimezone(UTC).isoformat(timespec="seconds"),
    }
    assert listing_dates(site) == [f"{day[1]}~{day[0]}"]
    first_runs = set(archive.keys("runs/"))
    # Posted after the first run, though dated two days back; and a new one today.
    late = make_announcements(1, day=day[2], start_id=1300200000)[0]
    new = make_announcements(1, day=day[0], start_id=1300300000)[0]
    site.announcements += [late, new]
    site.requests.clear()
    site.times.clear()

    second = run_crawl(
        cninfo, "cninfo", archive=archive_uri, env=seaweed.env(), settings=pinned(now)
    )

    assert second.returncode == 0, second.stderr[-3000:]
    assert listing_dates(site) == [f"{day[3]}~{day[0]}"]  # watermark less 3 days of overlap
    assert file_gets(site) == {late.announcement_id: 1, new.announcement_id: 1}
    ids = sorted(a.announcement_id for a in site.announcements)
    assert archive.keys("records/") == [f"records/cninfo/{i}.json" for i in ids]
    index = index_entries(archive, "cninfo")
    assert sorted(index) == ids
    assert all(entry["sha256"] and not entry["error"] for entry in index.values())
    # each run wrote its own segment; the second one only its two new entries
    first_run, second_run = archive.keys("state/index/cninfo/")
    lines = archive.read(second_run).decode().splitlines()
    assert sorted(json.loads(line)["source_id"] for line in lines) == sorted(
        [late.announcement_id, new.announcement_id]
    )
    (last,) = [
        json.loads(archive.read(key))
        for key in archive.keys("runs/")
        if key.endswith(".summary.json") and key not in first_runs
    ]  # the second run's: two runs in the same second no longer share one summary
    assert last["run_id"] in second_run and last["run_id"] not in first_run
    assert last["records_found"] == 5
    assert last["skipped_already_archived"] == 3
    assert last["records_written"] == 2
    assert sum(last["parse"].values()) == 2
    assert last["errors"] == 0 and last["failed"] is None
    assert last["window"] == {"start": day[3], "end": day[0]}
    assert "Run summary: " in second.stderr


def test_failed_run_keeps_the_watermark_and_exits_non_zero(cninfo, tmp_path, now):
    site = cninfo.site
    today = now.date()
    earlier = (today - timedelta(days=10)).isoformat()
    site.announcements = make_announcements(2, day=earlier, start_id=1310000000, body=TINY_PDF)
    state = tmp_path / "state" / "cninfo"
    state.mkdir(parents=True)
    (state / "watermark.json").write_text(json.dumps({"through": earlier}))
    site.broken_listing = "<html><title>访问被拦截！</title></html>"

    failed = run_crawl(cninfo, "cninfo", archive=str(tmp_path), settings=pinned(now))

    assert failed.returncode == 1
    assert json.loads((state / "watermark.json").read_text())["through"] == earlier
    assert "Watermark of cninfo not advanced: 1 error(s) were logged" in failed.stderr
    summary = summaries(LocalArchive(tmp_path))[0]
    assert summary["errors"] == 1 and summary["failed"] == "1 error(s) were logged"
    # Nothing published for ten days: the monitor says so.
    assert "cninfo returned nothing for 3 days or more (newest record: none)" in failed.stderr

    again = run_crawl(cninfo, "cninfo", archive=str(tmp_path), settings=pinned(now))

    assert again.returncode == 0, again.stderr[-3000:]
    three_back = (today - timedelta(days=13)).isoformat()
    assert listing_dates(site)[-1] == f"{three_back}~{today.isoformat()}"
    assert json.loads((state / "watermark.json").read_text())["through"] == today.isoformat()
    assert len(LocalArchive(tmp_path).keys("records/")) == 2
    assert f"cninfo returned nothing for 3 days or more (newest record: {earlier})" in again.stderr


def test_a_stock_run_or_a_later_window_does_not_move_the_watermark(cninfo, tmp_path):
    cninfo.site.announcements = make_announcements(1, body=TINY_PDF)
    state = tmp_path / "state" / "cninfo" / "watermark.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"through": "2024-04-01"}))

    by_stock = run_crawl(
        cninfo, "cninfo", "-a", "start=2024-04-01", "-a", "stock=002415", archive=str(tmp_path)
    )
    gap = run_crawl(
        cninfo, "cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10", archive=str(tmp_path)
    )

    assert by_stock.returncode == 0 and gap.returncode == 0, gap.stderr[-3000:]
    assert json.loads(state.read_text())["through"] == "2024-04-01"


def test_index_lags_records_after_a_crash_and_nothing_is_fetched_twice(cninfo, tmp_path):
    cninfo.site.announcements = make_announcements(3, body=TINY_PDF)
    window = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
    first = run_crawl(cninfo, *window, archive=str(tmp_path))
    assert first.returncode == 0, first.stderr[-3000:]
    shutil.rmtree(tmp_path / "state" / "index")  # as if killed before saving it

    second = run_crawl(cninfo, *window, archive=str(tmp_path))

    assert second.returncode == 0, second.stderr[-3000:]
    assert set(file_gets(cninfo.site).values()) == {1}
    assert len(index_entries(LocalArchive(tmp_path), "cninfo")) == 3


def test_a_scheduled_run_fetches_again_what_failed_before_its_window(cninfo, tmp_path, now):
    today = now.date()
    old_day = (today - timedelta(days=10)).isoformat()
    blocked = make_announcements(1, day=old_day, start_id=1310000000)[0]
    body = blocked.body
    blocked.body = "<html><title>访问被拦截！</title></html>".encode()
    cninfo.site.announcements = [blocked]
    window = ("-a", f"start={old_day}", "-a", f"end={old_day}", "-a", "stock=002415")
    # A run over a stock sets no watermark.
    first = run_crawl(cninfo, "cninfo", *window, archive=str(tmp_path), settings=pinned(now))
    assert first.returncode == 0, first.stderr[-3000:]
    assert "访问被拦截" in LocalArchive(tmp_path).record(blocked.announcement_id)["error"]

    blocked.body = body  # the block is gone; the record is 10 days older than the next window
    second = run_crawl(cninfo, "cninfo", archive=str(tmp_path), settings=pinned(now))

    assert second.returncode == 0, second.stderr[-3000:]
    second_windows = listing_dates(cninfo.site)[1:]
    assert second_windows and all(dates.split("~")[0] > old_day for dates in second_windows)
    record = LocalArchive(tmp_path).record(blocked.announcement_id)
    assert "error" not in record
    assert record["title"] == blocked.title
    assert record["published_at"] == blocked.published.isoformat()
    assert LocalArchive(tmp_path).read(record["file"]["key"]) == body
    assert "'archive/failed_retried': 1" in second.stderr
