"""Runs at the same time on one archive (SeaweedFS): two crawls of different windows, two runs
started in the same second, a crawl and a reparse. None loses an index entry, a feed or a summary.

Each run writes the index entries it adds as small segments of its own (``INDEX_SAVE_SECONDS`` is
cut to 0.2 s here, so each crawl writes dozens) and compacts at its end while the other still
writes; before segments, the last run to save the whole index dropped the other's entries.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from typing import Any

from pipelines.parser import PARSER_VERSION
from tests.archive_reader import S3Archive, feed_lines, index_entries
from tests.conftest import REPARSE_OUTDATED, TINY_PDF, make_announcements, run_crawl, start_crawl
from tests.servers.cninfo import Announcement, CninfoServer

FLUSH_OFTEN = {"INDEX_SAVE_SECONDS": "0.2"}
# Pins the time part of run ids, as if both runs had started in the same second.
SAME_SECOND = (
    "import datetime, functools, sys\n"
    "import pipelines.keys as keys\n"
    "moment = datetime.datetime(2026, 12, 1, 10, 46, 29, tzinfo=datetime.UTC)\n"
    "keys.new_run_id = functools.partial(keys.new_run_id, moment)\n"
    "from scrapy.cmdline import execute\n"
    "sys.argv[0] = 'scrapy'\n"
    "execute()\n"
)


def small_records(count: int, day: str, start_id: int) -> list[Announcement]:
    """``count`` records of ``day``, each with bytes of its own (no duplicate_of between them)."""
    found = make_announcements(count, day=day, start_id=start_id, body=TINY_PDF)
    for a in found:
        a.body = TINY_PDF.replace(b"trailer", f"% {a.announcement_id}\ntrailer".encode())
    return found


def window(day: str) -> tuple[str, ...]:
    return ("cninfo", "-a", f"start={day}", "-a", f"end={day}")


def start(
    server: CninfoServer, *args: str, same_second: bool = False, **options: Any
) -> subprocess.Popen[str]:
    """conftest's start_crawl, its output captured; ``same_second``: with SAME_SECOND's clock."""
    launcher = ("-c", SAME_SECOND) if same_second else ("-m", "scrapy")
    return start_crawl(
        server, *args, launcher=launcher, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options
    )


def finish(processes: Iterable[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    """(exit status, stderr) of each process, once all have ended."""
    done = []
    for process in processes:
        _out, err = process.communicate(timeout=120)
        done.append((process.returncode, err))
    return done


def summaries(archive: S3Archive) -> dict[str, dict]:
    return {
        key: json.loads(archive.read(key))
        for key in archive.keys("runs/cninfo/")
        if key.endswith(".summary.json")
    }


def test_two_crawls_of_different_windows_at_once_lose_no_index_entry(cninfo, seaweed, bucket):
    first = small_records(150, "2024-05-09", 1400000000)
    second = small_records(150, "2024-05-20", 1410000000)
    cninfo.site.announcements = [*first, *second]
    uri = f"s3://{bucket}/"
    # Compacting after 3 segments: each run compacts while the other is still writing.
    settings = {**FLUSH_OFTEN, "INDEX_COMPACT_SEGMENTS": "3"}

    results = finish(
        [
            start(cninfo, *window(day), archive=uri, env=seaweed.env(), settings=settings)
            for day in ("2024-05-09", "2024-05-20")
        ]
    )

    for status, stderr in results:
        assert status == 0, stderr[-3000:]
    # the first to end compacts (the other may then find few segments left)
    assert any("Compacted the archive index of cninfo" in stderr for _, stderr in results)
    archive = S3Archive(seaweed.client(), bucket)
    ids = sorted(a.announcement_id for a in (*first, *second))
    assert archive.keys("records/") == [f"records/cninfo/{i}.json" for i in ids]
    index = index_entries(archive, "cninfo")
    assert sorted(index) == ids  # before segments: hundreds missing
    assert all(entry["sha256"] and not entry["error"] for entry in index.values())
    assert len(archive.keys("state/index/")) <= 10  # compacted, not hundreds of segments
    assert sorted(line["source_id"] for line in feed_lines(archive)) == ids
    assert len(summaries(archive)) == 2
    # A third run over both windows finds everything archived: nothing is fetched again.
    files = cninfo.site.count("GET", "/finalpage/")
    again = run_crawl(
        cninfo, "cninfo", "-a", "start=2024-05-09", "-a", "end=2024-05-20", archive=uri,
        env=seaweed.env(),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert cninfo.site.count("GET", "/finalpage/") == files
    assert "'archive/already_archived': 300" in again.stderr


def test_two_runs_started_in_the_same_second_keep_their_feeds_and_summaries(
    cninfo, seaweed, bucket
):
    first = small_records(20, "2024-05-09", 1420000000)
    second = small_records(20, "2024-05-20", 1430000000)
    cninfo.site.announcements = [*first, *second]
    uri = f"s3://{bucket}/"

    results = finish(
        [
            start(cninfo, *window(day), archive=uri, env=seaweed.env(), same_second=True)
            for day in ("2024-05-09", "2024-05-20")
        ]
    )

    for status, stderr in results:
        assert status == 0, stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    runs = archive.keys("runs/cninfo/")
    assert len(runs) == 4, runs  # two feeds and two summaries, none overwritten
    run_ids = {key.rsplit("/", 1)[1].split(".")[0] for key in runs}
    assert len(run_ids) == 2
    assert all(i.startswith("2026-12-01T10-46-29+00-00-") for i in run_ids)  # the same second
    for run_id in run_ids:
        summary = json.loads(archive.read(f"runs/cninfo/{run_id}.summary.json"))
        assert summary["run_id"] == run_id and summary["records_written"] == 20
        feed = archive.read(f"runs/cninfo/{run_id}.jsonl").decode().splitlines()
        days = {json.loads(line)["published_at"][:10] for line in feed}
        assert days == {summary["window"]["start"]} and len(feed) == 20
    segments = archive.keys("state/index/cninfo/")
    assert {key.split("/")[-1][: -len("-000001.jsonl")] for key in segments} == run_ids
    ids = sorted(a.announcement_id for a in (*first, *second))
    assert sorted(index_entries(archive, "cninfo")) == ids


def test_a_crawl_and_a_reparse_at_once_lose_nothing(cninfo, seaweed, bucket):
    parsed = make_announcements(12, day="2024-05-09", start_id=1440000000)  # real records
    cninfo.site.announcements = parsed
    uri = f"s3://{bucket}/"
    crawl = run_crawl(cninfo, *window("2024-05-09"), archive=uri, env=seaweed.env())
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    client, archive = seaweed.client(), S3Archive(seaweed.client(), bucket)
    good = {a.announcement_id: archive.record(a.announcement_id) for a in parsed}
    for source_id, record in good.items():  # as an older parser left them
        old = {**record, "location": "旧", "parse": {**record["parse"], "parser_version": "0.9"}}
        key = f"records/cninfo/{source_id}.json"
        client.put_object(Bucket=bucket, Key=key, Body=json.dumps(old, ensure_ascii=False))
    later = small_records(150, "2024-05-20", 1450000000)
    cninfo.site.announcements = [*parsed, *later]
    files = cninfo.site.count("GET", "/finalpage/")

    results = finish(
        [
            start(
                cninfo,
                *window("2024-05-20"),
                archive=uri,
                env=seaweed.env(),
                settings={**FLUSH_OFTEN, "INDEX_COMPACT_SEGMENTS": "1000"},
            ),
            start(cninfo, *REPARSE_OUTDATED, archive=uri, env=seaweed.env(), command="reparse"),
        ]
    )

    (crawled, crawl_err), (reparsed, reparse_err) = results
    assert crawled == 0, crawl_err[-3000:]
    assert reparsed == 0, reparse_err[-3000:]
    assert "12 rewritten" in reparse_err
    assert cninfo.site.count("GET", "/finalpage/") == files + 150  # reparse fetched nothing
    for source_id, record in good.items():
        now = archive.record(source_id)
        assert now["location"] == record["location"] and "reparsed_at" in now
        assert now["parse"]["parser_version"] == PARSER_VERSION
    ids = sorted(a.announcement_id for a in (*parsed, *later))
    assert sorted(index_entries(archive, "cninfo")) == ids
    # Every segment is a crawl's: reparse wrote none.
    run_ids = {summary["run_id"] for summary in summaries(archive).values()}
    segments = archive.keys("state/index/cninfo/")
    assert {key.split("/")[-1][: -len("-000001.jsonl")] for key in segments} == run_ids
