"""The archive index: one JSON line per record of a source, in append-only segments merged on read.

    state/index/<source>/<run id>-<n>.jsonl   a segment: the entries one run added or changed
    state/index/<source>.jsonl                the index as one file, from before segments

A run loads the index once and skips what is already archived without one storage request per
listed record; reparse and export pick records by date from it. Each line holds what those
decisions need: the record and original keys, sha256, the error (if any), the parse status and
parser version the crawl archived (reparse rewrites records, not the index), and the published day.

Reading lists ``state/index/<source>/`` and reads the legacy file first, then the segments in name
order (run start, then the run's flush number): a later line replaces an earlier one of the same
source_id. A crawl writes only the entries it added or changed since its last flush, as a new
segment (S3 has no append), so concurrent runs never overwrite each other's entries, and a big index
is not rewritten whole every INDEX_SAVE_SECONDS. At the end of a crawl a source with more than
INDEX_COMPACT_SEGMENTS segments is compacted: the merged entries are written as one segment named to
sort right after the last segment read, then exactly the keys read are deleted. That needs no lock:
a segment written after the listing is neither read nor deleted and keeps its place in the merge
order, a compaction that finds a listed segment gone (another took it) stops, and two compactions
at once at worst leave the same entries in two segments, which merge on read. ``reparse`` and
``export`` only read the index.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.keys import (
    crawler_run_id,
    index_key,
    index_segment_key,
    index_segments_prefix,
    merged_segment_key,
    record_key,
    safe_segment,
)
from pipelines.records import record_of
from pipelines.storage import ArchiveStore, crawler_archive

logger = logging.getLogger(__name__)

NDJSON = "application/x-ndjson"


def entry_of(record: dict[str, Any]) -> dict[str, Any]:
    """The index line for a record."""
    file = record.get("file") or {}
    parse = record.get("parse") or {}
    return {
        "source_id": str(record["source_id"]),
        "key": record_key(record["source"], record["source_id"]),
        "file_key": file.get("key"),
        "sha256": file.get("sha256"),
        "error": record.get("error"),
        "published": (record.get("published_at") or "")[:10] or None,
        "parse_status": parse.get("status"),
        "parser_version": parse.get("parser_version"),
    }


def entry_line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True)


def segment_bytes(lines: Iterable[str]) -> bytes:
    """A segment's bytes: one entry a line, as given (callers sort them by source_id)."""
    return "".join(line + "\n" for line in lines).encode("utf-8")


# --- Reading -------------------------------------------------------------------------------------


def segment_keys(store: ArchiveStore, source: str) -> list[str]:
    """The source's index segments, in merge order."""
    prefix = index_segments_prefix(source)
    return sorted(
        key
        for key in store.keys(prefix)
        if key.endswith(".jsonl") and "/" not in key[len(prefix) :]
    )


def _entries(raw: bytes, key: str) -> Iterator[tuple[dict[str, Any], str]]:
    """(entry, line) of each entry of one index file; damaged lines are skipped."""
    damaged = 0
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict) or entry.get("source_id") is None:
            damaged += 1
            continue
        entry["source_id"] = str(entry["source_id"])
        yield entry, line
    if damaged:
        logger.warning("Skipped %d damaged line(s) of %s", damaged, key)


def index_entries(store: ArchiveStore, source: str) -> Iterator[tuple[dict[str, Any], str]]:
    """(entry, line) of every entry of the source's index, in merge order: the legacy file, then
    the segments by name. A later entry of a source_id replaces the earlier ones.

    A listed segment gone when read was taken by a concurrent compaction, whose merged segment
    was written before it deleted anything: then every entry is given again, from a new listing,
    in merge order, so that the last entry given for each source_id is still the right one."""
    for _attempt in range(3):
        keys = [index_key(source), *segment_keys(store, source)]  # listed before any read
        vanished = False
        for key in keys:
            raw = store.read(key)
            if raw is None:
                vanished = vanished or key != index_key(source)
                continue
            yield from _entries(raw, key)
        if not vanished:
            return


def read_index(store: ArchiveStore, source: str) -> Iterator[dict[str, Any]]:
    """Every index entry of the source, in merge order (see ``index_entries``)."""
    return (entry for entry, _line in index_entries(store, source))


class ArchiveIndex:
    """The records of one source in the archive, by source_id, for reading (export, reparse).

    Holds every merged entry: about 1.3 KB of memory a record (1.3 GB for a million). A crawl
    keeps far less (``RunIndex``)."""

    def __init__(self, store: ArchiveStore, source: str, entries: Iterable[dict[str, Any]] = ()):
        self.store = store
        self.source = source
        self.entries: dict[str, dict[str, Any]] = {e["source_id"]: e for e in entries}

    @classmethod
    def load(cls, store: ArchiveStore, source: str) -> ArchiveIndex:
        return cls(store, source, read_index(store, source))

    def archived(self, source_id: str) -> bool:
        """True when the record is archived without an error (an error is retried)."""
        entry = self.entries.get(str(source_id))
        return entry is not None and not entry.get("error")

    def add(self, record: dict[str, Any]) -> None:
        """Merge a record's entry in memory (nothing is written)."""
        entry = entry_of(record)
        self.entries[entry["source_id"]] = entry

    def select(
        self,
        since: date | None = None,
        until: date | None = None,
        older_than: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Entries published in [since, until] and, with ``older_than``, whose entry names an
        older parser version (or none). The entry's version is the one the crawl archived:
        ``reparse`` reads it from the record instead."""
        return _selected(self.entries.values(), since, until, older_than)

    def last_published(self) -> date | None:
        days = [e["published"] for e in self.entries.values() if e.get("published")]
        return date.fromisoformat(max(days)) if days else None


def _selected(
    entries: Iterable[dict[str, Any]],
    since: date | None = None,
    until: date | None = None,
    older_than: str | None = None,
) -> Iterator[dict[str, Any]]:
    for entry in sorted(entries, key=lambda e: (e.get("published") or "", e["key"])):
        day = date.fromisoformat(entry["published"]) if entry.get("published") else None
        if since and (day is None or day < since):
            continue
        if until and (day is None or day > until):
            continue
        if older_than and not version_older(entry.get("parser_version"), older_than):
            continue
        yield entry


# What a record keeps of its listing: enough to fetch its original again without the listing.
LISTING_FIELDS = (
    "source", "source_id", "site", "exchange", "stock_code", "stock_name", "org_id", "title",
    "published_at", "file_url", "file_type_declared", "detail_url",
)  # fmt: skip


def failed_listings(
    store: ArchiveStore, source: str, since: date, before: date
) -> list[dict[str, Any]]:
    """The records of the source published in [since, before) whose original could not be
    archived (an ``error``) and that say where to fetch it again (a file or a page).

    Reads the index once, keeping only the entries published in those days."""
    first, last = since.isoformat(), before.isoformat()
    window: dict[str, dict[str, Any]] = {}
    for entry in read_index(store, source):
        if first <= (entry.get("published") or "") < last:
            window[entry["source_id"]] = entry
        else:
            window.pop(entry["source_id"], None)  # a later entry moved it out of the window
    found = []
    for entry in _selected(e for e in window.values() if e.get("error")):
        record = parse_record(store.read(entry["key"]))
        if record and (record.get("file_url") or record.get("detail_url")):
            found.append(record)
    return found


def parse_record(raw: bytes | None) -> dict[str, Any] | None:
    """A stored record, or None when it is missing or damaged (then it is archived again)."""
    try:
        record = json.loads(raw) if raw else None
    except ValueError:
        return None
    return record if isinstance(record, dict) and "source_id" in record else None


def record_version(record: dict[str, Any]) -> str | None:
    """The parser version a stored record was parsed by."""
    return (record.get("parse") or {}).get("parser_version")


def version_older(version: str | None, than: str) -> bool:
    """``"1.2.0" < "1.10.0"`` by number; a missing version is older than any."""
    if not version:
        return True

    def numbers(v: str) -> tuple[int, ...]:
        return tuple(int(part) if part.isdigit() else 0 for part in v.split("."))

    return numbers(version) < numbers(than)


def archive_sources(store: ArchiveStore) -> list[str]:
    """Every source with an index (a legacy file or segments) or records in the archive."""
    indexed = {key.split("/")[2].removesuffix(".jsonl") for key in store.keys("state/index/")}
    return sorted(indexed | {key.split("/")[1] for key in store.keys("records/")})


def load_index(store: ArchiveStore, source: str) -> ArchiveIndex:
    """The source's index, completed in memory with any record it lacks (written by a run killed
    before it flushed the index, or by another tool). Nothing is written: for export and reparse,
    which only read the archive."""
    index = ArchiveIndex.load(store, source)
    known = {entry["key"] for entry in index.entries.values()}
    for key in store.keys(f"records/{safe_segment(source)}/"):
        if key.endswith(".json") and key not in known:
            record = parse_record(store.read(key))
            if record is not None:
                index.add(record)
    return index


# --- Writing: segments, compaction ---------------------------------------------------------------


def compact_index(store: ArchiveStore, source: str, most: int) -> list[str]:
    """When the source's index has more than ``most`` segments, merge them (and the legacy file)
    into one segment, then delete exactly the keys read; the keys deleted, in that order.

    The merged segment is named to sort right after the last one it read, so a segment written
    since the listing (by a run started earlier or later) keeps its place in the merge order. A
    listed segment gone when read was taken by a concurrent compaction: this one then stops,
    writing and deleting nothing, rather than write a merge that lacks it.

    Memory: the merged lines, about the index's size plus 100 bytes a record."""
    listed = segment_keys(store, source)
    if len(listed) <= most:
        return []
    read: list[str] = []
    merged: dict[str, str] = {}
    for key in [index_key(source), *listed]:  # only what was listed: never a later segment
        raw = store.read(key)
        if raw is None:
            if key == index_key(source):
                continue  # no legacy file (or one a concurrent compaction merged: see above)
            logger.info("The archive index of %s is being compacted by another run", source)
            return []
        read.append(key)
        for entry, line in _entries(raw, key):
            merged[entry["source_id"]] = line
    target = merged_segment_key(listed[-1])
    store.write(target, segment_bytes(merged[k] for k in sorted(merged)), NDJSON)
    # The legacy file last: a reader that finds it gone finds a listed segment gone too, so it
    # lists again and reads the merged segment (index_entries).
    deleted = sorted(read, key=lambda k: k == index_key(source))
    for key in deleted:
        store.delete(key)
    return deleted


class RunIndex:
    """What a crawl keeps of one source's index: for every source_id a digest of its entry and
    whether it failed, the newest published day, and the entries added or changed since the last
    flush (the run's next segment).

    About 150 bytes a record (150 MB for a million), against about 1.3 KB for whole entries."""

    def __init__(self, source: str):
        self.source = source
        self.digests: dict[str, int] = {}
        self.failed: set[str] = set()
        self.newest: str | None = None
        self.pending: dict[str, str] = {}  # source_id -> line, not yet in a segment
        self.segments = 0  # segments this run wrote (or tried to)

    @classmethod
    def load(cls, store: ArchiveStore, source: str) -> RunIndex:
        index = cls(source)
        for entry, _line in index_entries(store, source):
            index.note(entry)
        return index

    def __len__(self) -> int:
        return len(self.digests)

    def note(self, entry: dict[str, Any]) -> str | None:
        """Take in an entry; its line when it is new or changed, else None."""
        source_id = str(entry["source_id"])
        line = entry_line({**entry, "source_id": source_id})
        digest = hash(line)
        if self.digests.get(source_id) == digest:
            return None
        self.digests[source_id] = digest
        if entry.get("error"):
            self.failed.add(source_id)
        else:
            self.failed.discard(source_id)
        published = entry.get("published")
        if published and (self.newest is None or published > self.newest):
            self.newest = published
        return line

    def known(self, source_id: str) -> bool:
        return str(source_id) in self.digests

    def archived(self, source_id: str) -> bool:
        """True when the record is archived without an error (an error is retried)."""
        source_id = str(source_id)
        return source_id in self.digests and source_id not in self.failed

    def add(self, record: dict[str, Any]) -> None:
        """Index a record; its entry goes into the next segment when new or changed."""
        entry = entry_of(record)
        if (line := self.note(entry)) is not None:
            self.pending[entry["source_id"]] = line

    def last_published(self) -> date | None:
        return date.fromisoformat(self.newest) if self.newest else None


class IndexPipeline:
    """First pipeline: drop records already archived without error; index every finished item.

    An id missing from the index is checked against its record once (an index flushed before a
    crash may lag the records), so a record is never archived twice. New and changed entries are
    written as a segment of this run every INDEX_SAVE_SECONDS, when a backfill window finishes and
    at the end, then the index is compacted if it has more than INDEX_COMPACT_SEGMENTS segments.
    """

    def __init__(
        self,
        crawler: Crawler,
        store: ArchiveStore,
        save_every: float,
        run_id: str,
        compact_over: int = 20,
    ):
        self.crawler = crawler
        self.store = store
        self.save_every = save_every
        self.run_id = run_id
        self.compact_over = compact_over
        self.indexes: dict[str, RunIndex] = {}  # by source; a spider may yield several
        self.saved_at = time.monotonic()
        self.lock = asyncio.Lock()
        self.saves: set[asyncio.Future[None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        settings = crawler.settings
        pipeline = cls(
            crawler,
            crawler_archive(crawler),
            settings.getfloat("INDEX_SAVE_SECONDS", 60),
            crawler_run_id(crawler),
            settings.getint("INDEX_COMPACT_SEGMENTS", 20),
        )
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        return pipeline

    async def open_spider(self) -> None:
        index = await self.index(self.crawler.spider.source)
        logger.info("Archive index of %s: %d records", index.source, len(index))

    async def close_spider(self) -> None:
        if self.saves:
            await asyncio.gather(*self.saves, return_exceptions=True)
        await self.flush()
        for source in list(self.indexes):
            try:
                deleted = await asyncio.to_thread(
                    compact_index, self.store, source, self.compact_over
                )
            except Exception as exc:  # any backend failure; the segments merge on read anyway
                logger.warning("Could not compact the archive index of %s: %s", source, exc)
                continue
            if deleted:
                logger.info("Compacted the archive index of %s: %d parts", source, len(deleted))

    async def index(self, source: str) -> RunIndex:
        """The index of ``source``, loaded from the archive the first time."""
        if source not in self.indexes:
            loaded = await asyncio.to_thread(RunIndex.load, self.store, source)
            self.indexes.setdefault(source, loaded)
        return self.indexes[source]

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        source, source_id = adapter["source"], str(adapter["source_id"])
        index = await self.index(source)
        if not index.known(source_id):
            key = record_key(source, source_id)
            record = parse_record(await asyncio.to_thread(self.store.read, key))
            if record is not None:
                index.add(record)
        if index.archived(source_id):
            self.crawler.stats.inc_value("archive/already_archived")
            raise DropItem(f"already archived: {source}/{source_id}", log_level="DEBUG")
        return item

    def item_scraped(self, item: Any) -> None:
        """Index an item that passed every pipeline (its record is written)."""
        index = self.indexes.get(ItemAdapter(item).get("source"))
        if index is None:
            return
        index.add(record_of(item))
        if time.monotonic() - self.saved_at >= self.save_every and not self.lock.locked():
            save = asyncio.ensure_future(self.flush())
            self.saves.add(save)
            save.add_done_callback(self.saves.discard)

    async def flush(self) -> None:
        """Write the entries added or changed since the last flush, as a new segment of each
        index (after any flush under way)."""
        async with self.lock:
            self.saved_at = time.monotonic()
            for index in self.indexes.values():
                if not index.pending:
                    continue
                batch, index.pending = index.pending, {}
                index.segments += 1
                key = index_segment_key(index.source, self.run_id, index.segments)
                data = segment_bytes(batch[k] for k in sorted(batch))
                try:
                    await asyncio.to_thread(self.store.write, key, data, NDJSON)
                except Exception as exc:  # any backend failure; the records themselves are safe
                    index.pending = {**batch, **index.pending}  # newer entries win
                    logger.error("Could not save the archive index of %s: %s", index.source, exc)
