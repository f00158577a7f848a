"""Parse each archived original in worker processes and add the fields to its record.

The reactor is one thread: parsing a 20-page PDF takes over a second, so it runs in a pool of
PARSE_WORKERS processes (:mod:`pipelines.workers`) and downloads go on meanwhile. Every document
is bounded: PARSE_TIME_LIMIT seconds and PARSE_MEMORY_LIMIT_MB of address space, in a worker
replaced after PARSE_WORKER_MAX_DOCS documents or when it dies. The original is already archived
when this stage runs, so a parse failure (the parser's, or a limit's) only marks the record, with
the reason, and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from pipelines import filetypes
from pipelines.parser import PARSER_VERSION, parse_document
from pipelines.workers import WorkerError, WorkerPool

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


# The defaults of the settings of the same names (crawler/settings.py). A worker that has
# parsed every record of the test fixtures and the development corpus peaks at about 53 MB of
# address space, LibreOffice (which a .doc worker starts, under the same limit) needs about
# 500 MB and onnxruntime (OCR of a scanned page) reserves about 1.8 GB: 2560 MB leaves room for
# large originals and stops a bomb long before the machine notices it.
PARSE_TIME_LIMIT = 300.0
PARSE_MEMORY_LIMIT_MB = 2560
PARSE_WORKER_MAX_DOCS = 200


def parse_limits(settings: BaseSettings) -> dict[str, Any]:
    """The per-document limits of the settings, as ``parse_pool`` takes them."""
    return {
        "time_limit": settings.getfloat("PARSE_TIME_LIMIT", PARSE_TIME_LIMIT),
        "memory_limit_mb": settings.getint("PARSE_MEMORY_LIMIT_MB", PARSE_MEMORY_LIMIT_MB),
        "max_docs": settings.getint("PARSE_WORKER_MAX_DOCS", PARSE_WORKER_MAX_DOCS),
    }


def parse_pool(
    workers: int,
    *,
    time_limit: float | None = PARSE_TIME_LIMIT,
    memory_limit_mb: int | None = PARSE_MEMORY_LIMIT_MB,
    max_docs: int | None = PARSE_WORKER_MAX_DOCS,
) -> WorkerPool:
    """The parser's worker processes (for the crawl and for ``scrapy reparse``): ``workers``
    processes, each document bounded by ``time_limit`` seconds and ``memory_limit_mb`` of
    address space, a worker replaced after ``max_docs`` documents (None or 0: no bound)."""
    return WorkerPool(
        workers,
        time_limit=time_limit,
        memory_limit_mb=memory_limit_mb,
        max_tasks=max_docs,
        preload=("pipelines.parser.parse", "pipelines.parser.pdf", "pipelines.parser.word"),
        name="parse",
    )


def parse_bounded(pool: WorkerPool, data: bytes) -> dict[str, Any]:
    """Parse ``data`` in one of ``pool``'s workers; a document past its limits, or whose worker
    died, is a failed parse that says why."""
    try:
        return pool.submit(parse_document, data).result()
    except WorkerError as exc:
        return failed_parse(str(exc))


class ParsePipeline:
    def __init__(
        self,
        crawler: Crawler,
        workers: int,
        *,
        time_limit: float | None = PARSE_TIME_LIMIT,
        memory_limit_mb: int | None = PARSE_MEMORY_LIMIT_MB,
        max_docs: int | None = PARSE_WORKER_MAX_DOCS,
    ):
        self.crawler = crawler
        self.workers = workers
        self.limits = {
            "time_limit": time_limit,
            "memory_limit_mb": memory_limit_mb,
            "max_docs": max_docs,
        }
        self.pool: WorkerPool | None = None
        self.cluster: Any = None  # pipelines.cluster.Cluster with PARSE_CLUSTER

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParsePipeline:
        settings = crawler.settings
        return cls(crawler, max(1, settings.getint("PARSE_WORKERS", 2)), **parse_limits(settings))

    def _new_pool(self) -> WorkerPool:
        return parse_pool(self.workers, **self.limits)

    def open_spider(self) -> None:
        from pipelines.cluster import Cluster, cluster_address  # it imports this module

        settings = self.crawler.settings if self.crawler is not None else None
        if settings is not None and (address := cluster_address(settings)):
            self.cluster = Cluster(address, settings)
            logger.info("Parsing on the Dask cluster at %s", address)
        else:
            self.pool = self._new_pool()

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.cluster is not None:
            self.cluster.close()

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
        try:
            if self.cluster is not None:
                return await asyncio.to_thread(self.cluster.parse, data, self.limits)
            assert self.pool is not None
            return await asyncio.wrap_future(self.pool.submit(parse_document, data))
        except WorkerError as exc:  # a limit, or a worker that died: this document only
            logger.warning("Parse failed: %s", exc)
            return failed_parse(str(exc), _format(data))
        except (
            Exception
        ) as exc:  # parse_document should not raise; never lose the record if it does
            logger.exception("Parser raised")
            return failed_parse(f"parser error: {exc!r}", _format(data))


def _format(data: bytes) -> str | None:
    try:
        return filetypes.sniff(data)
    except Exception:
        return None
