"""Parse each archived original in worker processes and add the fields to its record.

The reactor is one thread: parsing a 20-page PDF takes over a second, so it runs in a process
pool (PARSE_WORKERS processes) and downloads go on meanwhile. The original is already archived
when this stage runs, so a parse failure only marks the record.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from pipelines.parser import PARSER_VERSION, parse_document

logger = logging.getLogger(__name__)

# Listing metadata wins over what the parser read from the document for these fields.
LISTING_FIELDS = ("stock_code", "stock_name")


def failed_parse(reason: str, file_format: str | None = None) -> dict[str, Any]:
    return {
        "parse": {
            "status": "failed",
            "warnings": [reason],
            "parser_version": PARSER_VERSION,
            "format": file_format,
            "pages": None,
        }
    }


def merge_parsed(item: Any, parsed: dict[str, Any]) -> None:
    """Add parsed fields to the item; where the listing already says otherwise, keep the listing
    value and note the disagreement."""
    adapter = ItemAdapter(item)
    for name, value in parsed.items():
        listed = adapter.get(name)
        if name in LISTING_FIELDS and listed:
            if value and value != listed:
                parsed["parse"]["warnings"].append(
                    f"document says {name}={value!r}, listing {listed!r}"
                )
            continue
        adapter[name] = value


def parse_pool(workers: int) -> ProcessPoolExecutor:
    """The parser's worker processes (for the crawl and for ``scrapy reparse``)."""
    # spawn, not fork: forking a process that runs a reactor and threads is unsafe
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


class ParsePipeline:
    def __init__(self, crawler: Crawler, workers: int):
        self.crawler = crawler
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParsePipeline:
        return cls(crawler, max(1, crawler.settings.getint("PARSE_WORKERS", 2)))

    def _new_pool(self) -> ProcessPoolExecutor:
        return parse_pool(self.workers)

    def open_spider(self) -> None:
        self.pool = self._new_pool()

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        data = adapter.get("original_bytes")
        if not data or adapter.get("error"):
            return item  # nothing archived to parse; the record says why
        parsed = await self.parse(data)
        merge_parsed(item, parsed)
        status = parsed["parse"]["status"]
        self.crawler.stats.inc_value(f"parse/status/{status}")
        return item

    async def parse(self, data: bytes) -> dict[str, Any]:
        assert self.pool is not None
        try:
            return await asyncio.wrap_future(self.pool.submit(parse_document, data))
        except BrokenProcessPool as exc:  # a worker died (out of memory, a crash in a C library)
            logger.error("A parse worker died; starting a new pool: %s", exc)
            self.pool = self._new_pool()
            return failed_parse(f"the parse worker died: {exc}")
        except (
            Exception
        ) as exc:  # parse_document should not raise; never lose the record if it does
            logger.exception("Parser raised")
            return failed_parse(f"parser error: {exc!r}")
