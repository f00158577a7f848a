"""The archive store goes away in the middle of a crawl: the crawl pauses and carries on when it is
back (nothing lost, one line each way), or gives up after STORE_OUTAGE_MAX_SECONDS and the next run
completes what is missing.

Each test takes a SeaweedFS server of its own down (by its PID) once the first records are in the
bucket, and starts it again on the same ports and data a few seconds later."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.archive_reader import S3Archive, sha256
from tests.conftest import make_announcements, run_crawl
from tests.servers.seaweed import SeaweedS3, start_seaweed

WINDOW = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
COUNT = 120  # records listed: four listing pages, about 5 s of downloads at the pace below
PACE = {"CONCURRENT_REQUESTS": "4", "CONCURRENT_REQUESTS_PER_DOMAIN": "4"}
UNREACHABLE = re.compile(r"archive store unreachable \((.+?)\): downloads paused, retrying")
BACK = re.compile(r"archive store is back after (\d+) s")
# weed refuses connections once stopped; while it stops, a request can be cut or answered 500
OUTAGE_REASON = r"(connection (refused|reset)|HTTP 5\d\d \w+)"


@pytest.fixture
def own_seaweed(tmp_path: Path) -> Iterator[SeaweedS3]:
    """A SeaweedFS of the test's own: the worker's shared one is never taken down."""
    server = start_seaweed(tmp_path / "seaweed")
    try:
        yield server
    finally:
        server.stop()


def distinct_pdf(n: int) -> bytes:
    return b"%PDF-1.4\n%record " + str(n).encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def listed(cninfo) -> list:
    announcements = make_announcements(COUNT, start_id=1240000000)
    for n, a in enumerate(announcements):
        a.body = distinct_pdf(n)
    cninfo.site.announcements = announcements
    cninfo.site.file_delay = 0.15
    return announcements


def when_records_appear(server: SeaweedS3, bucket: str, done: threading.Event) -> threading.Event:
    """An event set once the crawl has written its first records to the bucket."""
    seen = threading.Event()

    def watch() -> None:
        client = server.client()
        while not done.is_set():
            try:
                if client.list_objects_v2(Bucket=bucket, Prefix="records/").get("KeyCount"):
                    seen.set()
                    return
            except Exception:  # not expected: the server is up until the event is set
                pass
            time.sleep(0.1)

    threading.Thread(target=watch, daemon=True).start()
    return seen


def lost(archive: S3Archive, announcements: list) -> list[str]:
    """The listed records not archived whole: record without error, its original, its digest."""
    missing = []
    originals = set(archive.keys("originals/"))
    digests = set(archive.keys("digests/"))
    records = set(archive.keys("records/"))
    for a in announcements:
        key = f"records/cninfo/{a.announcement_id}.json"
        if key not in records:
            missing.append(f"{a.announcement_id}: no record")
            continue
        record = json.loads(archive.read(key))
        digest = f"digests/{sha256(a.body)}.json"
        if record.get("error") or (record.get("file") or {}).get("sha256") != sha256(a.body):
            missing.append(f"{a.announcement_id}: {record.get('error')}")
        elif record["file"]["key"] not in originals:
            missing.append(f"{a.announcement_id}: no original")
        elif digest not in digests or json.loads(archive.read(digest)) != {
            "source": "cninfo",
            "source_id": a.announcement_id,
        }:
            missing.append(f"{a.announcement_id}: no digest")
    return missing


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "] ERROR:" in line or "] CRITICAL:" in line]


def test_an_outage_pauses_the_crawl_and_nothing_is_lost(cninfo, own_seaweed):
    server = own_seaweed
    server.client().create_bucket(Bucket="outage")
    announcements = listed(cninfo)
    done = threading.Event()
    outage = server.outage(5, after=when_records_appear(server, "outage", done))

    started = time.monotonic()
    result = run_crawl(
        cninfo, *WINDOW, archive="s3://outage/", env=server.env(), settings=PACE, timeout=120
    )
    took = time.monotonic() - started
    done.set()
    outage.join(timeout=60)

    assert server.outages and server.outages[0].back is not None, "the outage never happened"
    outage = server.outages[0]
    assert result.returncode == 0, result.stderr[-5000:]
    down = UNREACHABLE.findall(result.stderr)
    up = BACK.findall(result.stderr)
    assert len(down) == 1 and len(up) == 1, (down, up)
    assert re.fullmatch(OUTAGE_REASON, down[0]), down  # what the stop of weed answers
    paused = int(up[0])
    # paused from the first failed store call to the first one that succeeded again: at least
    # while weed was gone, at most from its stop to its return plus one retry pause (30 s)
    assert outage.back - outage.stopped - 3 <= paused <= outage.back - outage.stopping + 32
    assert error_lines(result.stderr) == []
    archive = S3Archive(server.client(), "outage")
    assert lost(archive, announcements) == []
    summary = json.loads(result.stderr.split("Run summary: ", 1)[1].splitlines()[0])
    assert summary["records_written"] == COUNT and summary["errors"] == 0
    print(
        f"\nstore stopping at {outage.stopping - started:.1f} s, gone at "
        f"{outage.stopped - started:.1f} s, back at {outage.back - started:.1f} s; crawl paused "
        f"{paused} s, run {took:.1f} s, listed {COUNT}, "
        f"archived {COUNT - len(lost(archive, announcements))}"
    )


def test_an_outage_beyond_the_limit_stops_the_crawl_and_the_next_run_completes_it(
    cninfo, own_seaweed
):
    server = own_seaweed
    server.client().create_bucket(Bucket="outage")
    announcements = listed(cninfo)
    done = threading.Event()
    outage = server.outage(6, after=when_records_appear(server, "outage", done))

    first = run_crawl(
        cninfo,
        *WINDOW,
        archive="s3://outage/",
        env=server.env(),
        settings={**PACE, "STORE_OUTAGE_MAX_SECONDS": "3"},
        timeout=120,
    )
    done.set()
    outage.join(timeout=60)

    assert server.outages and server.outages[0].back is not None, "the outage never happened"
    assert first.returncode == 1, first.stderr[-5000:]
    last = first.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"crawl failed: the spider closed early "
        rf"\(archive store unreachable for 3 s: {OUTAGE_REASON}\)",
        last,
    ), last
    assert len(UNREACHABLE.findall(first.stderr)) == 1
    stopping = rf"unreachable for 3 s: {OUTAGE_REASON}: stopping the crawl"
    assert len(re.findall(stopping, first.stderr)) == 1
    # One line each for the outage, the records it cost and what the closing run could not save
    # (index, watermark, summary, feed): no line per record.
    assert len(error_lines(first.stderr)) <= 8, error_lines(first.stderr)
    assert re.search(
        r"\] ERROR: \d+ record\(s\) not written: the archive store was unreachable", first.stderr
    )
    archive = S3Archive(server.client(), "outage")
    missing_after_first = len(lost(archive, announcements))
    assert missing_after_first > 0  # the outage cost the first run records ...

    cninfo.site.file_delay = 0.05
    second = run_crawl(cninfo, *WINDOW, archive="s3://outage/", env=server.env(), timeout=120)

    assert second.returncode == 0, second.stderr[-5000:]
    assert lost(archive, announcements) == []  # ... and the second run completed them
    print(
        f"\nfirst run: {len(error_lines(first.stderr))} error lines, "
        f"{COUNT - missing_after_first} of {COUNT} archived; second run: all {COUNT}"
    )


def test_the_run_feed_waits_out_an_outage_at_the_end_of_a_run(
    own_seaweed, s3_store_class, monkeypatch, caplog, tmp_path
):
    """The run feed is the crawl's last write: it goes through the archive store's outage
    policy like the others (before, Scrapy's S3 feed storage lost it to a short outage)."""
    from scrapy.utils.test import get_crawler

    from crawler.archive_addon import ArchiveFeedStorage
    from pipelines.storage import crawler_archive

    server = own_seaweed
    server.client().create_bucket(Bucket="feeds")
    for name, value in server.env().items():  # boto3 reads the credentials from here
        monkeypatch.setenv(name, value)
    crawler = get_crawler(
        settings_dict={
            "ARCHIVE_URI": "s3://feeds/",
            "AWS_ENDPOINT_URL": server.endpoint,
            "AWS_REGION_NAME": "us-east-1",
            "STORE_RETRY_DELAY": "0.2",
            "STORE_RETRY_MAX_DELAY": "0.5",
        }
    )
    crawler_archive(crawler)  # opened (the bucket checked) when the crawl starts
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(b'{"source": "cninfo", "source_id": "1"}\n')
    storage = ArchiveFeedStorage.from_crawler(crawler, "archive:runs/cninfo/run-1.jsonl")

    server.stop()
    with caplog.at_level("WARNING", logger="pipelines.outage"):
        writing = threading.Thread(target=storage._store_in_thread, args=(feed.open("rb"),))
        writing.start()
        time.sleep(2)
        assert writing.is_alive()  # waiting for the store, not given up
        server.start()
        writing.join(timeout=60)

    assert not writing.is_alive()
    stored = server.client().get_object(Bucket="feeds", Key="runs/cninfo/run-1.jsonl")
    assert stored["Body"].read() == feed.read_bytes()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "unreachable" in lines[0] and "is back" in lines[1], lines


# --- The policy alone, without a crawl -----------------------------------------------------------


def client_error(code: str, status: int) -> Exception:
    from botocore.exceptions import ClientError

    reply = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(reply, "PutObject")


def refused() -> Exception:
    from botocore.exceptions import EndpointConnectionError

    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as exc:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/b/k", error=exc) from exc
    except EndpointConnectionError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (refused, "connection refused"),
        (lambda: client_error("SlowDown", 503), "HTTP 503 SlowDown"),
        (lambda: client_error("InternalError", 500), "HTTP 500 InternalError"),
        (lambda: client_error("TooManyRequests", 429), "HTTP 429 TooManyRequests"),
        (lambda: OSError(28, "No space left on device"), "No space left on device"),
        (lambda: client_error("NoSuchBucket", 404), None),
        (lambda: client_error("AccessDenied", 403), None),
        (lambda: NotADirectoryError(20, "Not a directory"), None),
        (lambda: ValueError("a bug"), None),
    ],
)
def test_what_counts_as_an_outage(error, reason):
    from pipelines.outage import outage_reason

    assert outage_reason(error()) == reason


def test_the_policy_retries_until_back_then_gives_up_after_its_limit(caplog):
    from pipelines.outage import StoreOutage, StoreUnavailable

    outage = StoreOutage("test://store", max_seconds=1.5, delay=0.05, max_delay=0.2)
    failures = iter([refused(), refused(), refused()])

    def flaky() -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return "written"

    with caplog.at_level("INFO", logger="pipelines.outage"):
        assert outage.run(flaky) == "written"
        with pytest.raises(
            StoreUnavailable, match=re.escape("unreachable for 1.5 s: connection refused")
        ):
            outage.run(lambda: (_ for _ in ()).throw(refused()))
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):  # given up: fails at once, without waiting
            outage.run(lambda: (_ for _ in ()).throw(refused()))
        assert time.monotonic() - started < 0.1
        with pytest.raises(type(client_error("AccessDenied", 403))):  # never retried
            outage.run(lambda: (_ for _ in ()).throw(client_error("AccessDenied", 403)))
        assert outage.run(lambda: "back") == "back"

    lines = [r.getMessage() for r in caplog.records]
    assert [re.sub(r"after \d+ s", "after N s", line.split(":")[0]) for line in lines] == [
        "archive store unreachable (connection refused)",
        "archive store is back after N s",
        "archive store unreachable (connection refused)",
        "archive store unreachable for 1.5 s",
        "archive store is back after N s",
    ], lines
