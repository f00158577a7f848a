"""The archive index: one JSON line per record of a source, ``state/index/<source>.jsonl``.

A run loads it once and skips what is already archived without one storage request per listed
record; reparse and export pick records by date and parser version from it. Each line holds what
those decisions need: the record and original keys, sha256, the error (if any), the parse status
and parser version, and the published day.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.keys import index_key, record_key, safe_segment
from pipelines.records import record_of
from pipelines.storage import ArchiveStore, crawler_archive

logger = logging.getLogger(__name__)


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


class ArchiveIndex:
    """The records of one source in the archive, by source_id."""

    def __init__(self, store: ArchiveStore, source: str, entries: Iterable[dict[str, Any]] = ()):
        self.store = store
        self.source = source
        self.entries: dict[str, dict[str, Any]] = {e["source_id"]: e for e in entries}
        self.dirty = False

    @classmethod
    def load(cls, store: ArchiveStore, source: str) -> ArchiveIndex:
        raw = store.read(index_key(source))
        lines = raw.decode("utf-8").splitlines() if raw else []
        return cls(store, source, (json.loads(line) for line in lines if line.strip()))

    def archived(self, source_id: str) -> bool:
        """True when the record is archived without an error (an error is retried)."""
        entry = self.entries.get(str(source_id))
        return entry is not None and not entry.get("error")

    def add(self, record: dict[str, Any]) -> None:
        entry = entry_of(record)
        if self.entries.get(entry["source_id"]) != entry:
            self.entries[entry["source_id"]] = entry
            self.dirty = True

    def select(
        self,
        since: date | None = None,
        until: date | None = None,
        older_than: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Entries published in [since, until] and, with ``older_than``, parsed by an older
        parser version (or never parsed)."""
        for entry in sorted(self.entries.values(), key=lambda e: (e["published"] or "", e["key"])):
            day = date.fromisoformat(entry["published"]) if entry["published"] else None
            if since and (day is None or day < since):
                continue
            if until and (day is None or day > until):
                continue
            if older_than and not version_older(entry.get("parser_version"), older_than):
                continue
            yield entry

    def last_published(self) -> date | None:
        days = [e["published"] for e in self.entries.values() if e.get("published")]
        return date.fromisoformat(max(days)) if days else None

    def serialized(self) -> bytes:
        """The index file's bytes (taken in the caller's thread, so writing can be elsewhere)."""
        lines = (
            json.dumps(self.entries[k], ensure_ascii=False, sort_keys=True) + "\n"
            for k in sorted(self.entries)
        )
        return "".join(lines).encode("utf-8")

    def save(self) -> None:
        if self.dirty:
            self.dirty = False
            self.store.write(index_key(self.source), self.serialized(), "application/x-ndjson")


# What a record keeps of its listing: enough to fetch its original again without the listing.
LISTING_FIELDS = (
    "source", "source_id", "site", "exchange", "stock_code", "stock_name", "org_id", "title",
    "published_at", "file_url", "file_type_declared", "detail_url",
)  # fmt: skip


def failed_listings(
    store: ArchiveStore, source: str, since: date, before: date
) -> list[dict[str, Any]]:
    """The listing fields of the source's records published in [since, before) whose original
    could not be archived (an ``error``), for fetching again."""
    index = ArchiveIndex.load(store, source)
    found = []
    for entry in index.select(since, before - timedelta(days=1)):
        record = parse_record(store.read(entry["key"])) if entry.get("error") else None
        if record and record.get("file_url"):
            found.append({k: record[k] for k in LISTING_FIELDS if record.get(k) is not None})
    return found


def parse_record(raw: bytes | None) -> dict[str, Any] | None:
    """A stored record, or None when it is missing or damaged (then it is archived again)."""
    try:
        record = json.loads(raw) if raw else None
    except ValueError:
        return None
    return record if isinstance(record, dict) and "source_id" in record else None


def version_older(version: str | None, than: str) -> bool:
    """``"1.2.0" < "1.10.0"`` by number; a missing version is older than any."""
    if not version:
        return True

    def numbers(v: str) -> tuple[int, ...]:
        return tuple(int(part) if part.isdigit() else 0 for part in v.split("."))

    return numbers(version) < numbers(than)


def archive_sources(store: ArchiveStore) -> list[str]:
    """Every source with an index or records in the archive."""
    indexed = {key.split("/")[2].removesuffix(".jsonl") for key in store.keys("state/index/")}
    return sorted(indexed | {key.split("/")[1] for key in store.keys("records/")})


def load_index(store: ArchiveStore, source: str) -> ArchiveIndex:
    """The source's index, completed with any record it lacks (written by a run killed before
    it saved the index, or by another tool) and saved if that changed it."""
    index = ArchiveIndex.load(store, source)
    known = {entry["key"] for entry in index.entries.values()}
    for key in store.keys(f"records/{safe_segment(source)}/"):
        if key.endswith(".json") and key not in known:
            record = parse_record(store.read(key))
            if record is not None:
                index.add(record)
    index.save()
    return index


class IndexPipeline:
    """First pipeline: drop records already archived without error; index every finished item.

    An id missing from the index is checked against its record once (an index saved before a
    crash may lag the records), so a record is never archived twice.
    """

    def __init__(self, crawler: Crawler, store: ArchiveStore, save_every: float):
        self.crawler = crawler
        self.store = store
        self.save_every = save_every
        self.indexes: dict[str, ArchiveIndex] = {}  # by source; a spider may yield several
        self.saved_at = time.monotonic()
        self.lock = asyncio.Lock()
        self.saves: set[asyncio.Future[None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        every = crawler.settings.getfloat("INDEX_SAVE_SECONDS", 60)
        pipeline = cls(crawler, crawler_archive(crawler), every)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        return pipeline

    async def open_spider(self) -> None:
        index = await self.index(self.crawler.spider.source)
        logger.info("Archive index of %s: %d records", index.source, len(index.entries))

    async def close_spider(self) -> None:
        await self.flush()

    async def index(self, source: str) -> ArchiveIndex:
        """The index of ``source``, loaded from the archive the first time."""
        if source not in self.indexes:
            loaded = await asyncio.to_thread(ArchiveIndex.load, self.store, source)
            self.indexes.setdefault(source, loaded)
        return self.indexes[source]

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        source, source_id = adapter["source"], str(adapter["source_id"])
        index = await self.index(source)
        if source_id not in index.entries:
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
        """Write the changed indexes now (after any save under way)."""
        async with self.lock:
            self.saved_at = time.monotonic()
            for index in self.indexes.values():
                if not index.dirty:
                    continue
                index.dirty = False
                data = index.serialized()
                try:
                    await asyncio.to_thread(
                        self.store.write, index_key(index.source), data, "application/x-ndjson"
                    )
                except Exception as exc:  # any backend failure; the records themselves are safe
                    index.dirty = True
                    logger.error("Could not save the archive index of %s: %s", index.source, exc)
