"""Write one JSON record per document to the archive: the listing metadata, the archived file,
what went wrong, and (once parsed) the parsed fields."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from pipelines.keys import record_key
from pipelines.outage import StoreUnavailable
from pipelines.storage import ArchiveStore, crawler_archive

logger = logging.getLogger(__name__)

# Working fields of the pipelines, not part of the record.
TRANSIENT_FIELDS = ("original_bytes", "held_originals")


def record_bytes(record: dict[str, Any]) -> bytes:
    """A record as stored in the archive (by the crawl and by reparse alike)."""
    return json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def record_of(item: Any) -> dict[str, Any]:
    """The record for an item: every field but the pipelines' working ones."""
    return {k: v for k, v in ItemAdapter(item).items() if k not in TRANSIENT_FIELDS}


class RecordPipeline:
    def __init__(self, crawler: Crawler, store: ArchiveStore):
        self.crawler = crawler
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordPipeline:
        return cls(crawler, crawler_archive(crawler))

    def close_spider(self) -> None:
        if lost := self.crawler.stats.get_value("archive/records_not_written"):
            logger.error(
                "%d record(s) not written: the archive store was unreachable; the next run over "
                "the same days writes them",
                lost,
            )

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        adapter["archived_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        for field in TRANSIENT_FIELDS:
            adapter.pop(field, None)
        record = record_of(item)
        key = record_key(record["source"], record["source_id"])
        data = record_bytes(record)
        try:
            await asyncio.to_thread(self.store.write, key, data, "application/json")
        except StoreUnavailable as exc:
            # The store was given up on (one error line said so, and the crawl is stopping): the
            # item goes on with the reason, and the next run writes the record.
            self.crawler.stats.inc_value("archive/records_not_written")
            adapter["error"] = adapter.get("error") or f"record not written: {exc}"
            return item
        except Exception as exc:  # any backend failure must fail the run, not vanish
            self.crawler.stats.inc_value("archive/record_write_failed")
            logger.error("Could not write record %s: %s", key, exc)
            raise
        self.crawler.stats.inc_value("archive/records_written")
        if adapter.get("error"):
            self.crawler.stats.inc_value("archive/records_with_error")
        return item
