"""Download every original and archive its bytes under a key found from the bytes.

A FilesPipeline subclass: Scrapy does the downloading and the upload to the local folder or S3;
this class decides what counts as a real original, names it, and records what went wrong.
Originals a spider already holds (``held_originals``: p5w JSON and pages) are written as they are.

Each archived original (the first of held ones) also leaves ``digests/<sha256>.json`` naming its
record; a record whose bytes another record archived first (usually on another source) gets
``duplicate_of`` naming that one. When the digest cannot be checked or written, the record gets an
``error``, so that the next run does it again.

A download whose body is shorter than its Content-Length is fetched again (RETRY_TIMES, with the
RETRY_BACKOFF_* pauses), then recorded as ``truncated download: 12,345 of 98,765 bytes``; one larger
than DOWNLOAD_MAXSIZE is a failed download whose record says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from io import BytesIO
from typing import Any, ClassVar

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException
from scrapy.utils.defer import ensure_awaitable
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from pipelines.filetypes import CONTENT_TYPES, EXTENSIONS, BadOriginal, check_original
from pipelines.keys import digest_key, held_original_key, original_key
from pipelines.outage import StoreUnavailable
from pipelines.storage import STORE_SCHEMES, ArchiveError, crawler_archive

logger = logging.getLogger(__name__)
REJECTED = "rejected"  # FileInfo status of a body that was not the document
# One digest check at a time in the process (`scrapy crawlall` runs every spider in one loop), so
# two sources archiving the same bytes at once cannot both claim them.
_DIGESTS = asyncio.Lock()


class ArchiveWriteError(FileException):
    """Uploading or writing the original to the archive failed."""


class ArchivePipeline(FilesPipeline):
    STORE_SCHEMES: ClassVar[dict[str, Any]] = {**FilesPipeline.STORE_SCHEMES, **STORE_SCHEMES}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        # Check the archive before any request is made: a missing bucket must stop the crawl.
        try:
            crawler_archive(crawler)
        except ArchiveError as exc:
            logger.critical("Archive unusable, not crawling: %s", exc)
            raise
        pipeline = super().from_crawler(crawler)
        pipeline.store.attach(crawler.settings, crawler)  # FilesPipeline's own store object
        return pipeline

    async def process_item(self, item: Any) -> Any:
        await self.store.outage.until_back()  # no download while the store cannot take it
        if ItemAdapter(item).get("held_originals") is not None:
            return await self.archive_held(item)
        return await super().process_item(item)

    async def archive_held(self, item: Any) -> Any:
        """Write the originals the spider fetched itself; the first one is the record's file."""
        adapter = ItemAdapter(item)
        source, source_id = adapter["source"], str(adapter["source_id"])
        entries = []
        try:
            for name, (body, content_type) in adapter.pop("held_originals").items():
                key = held_original_key(source, source_id, name)
                await asyncio.to_thread(self.store.write, key, body, content_type)
                entries.append(
                    {
                        "name": name,
                        "key": key,
                        "sha256": hashlib.sha256(body).hexdigest(),
                        "size": len(body),
                        "content_type": content_type,
                    }
                )
        except Exception as exc:  # any backend failure: boto, network, disk
            self.crawler.stats.inc_value("archive/upload_failed")
            if not isinstance(exc, StoreUnavailable):  # that one was logged once, for all
                logger.error("Could not archive the originals of %s/%s: %s", source, source_id, exc)
            adapter["error"] = f"could not write {key}: {exc}"
            return item
        self.crawler.stats.inc_value("archive/originals_archived")
        adapter["originals"] = entries
        adapter["file"] = {k: v for k, v in entries[0].items() if k != "name"} if entries else None
        if entries:
            await self.note_digest(adapter, entries[0]["sha256"])
        return item

    async def note_digest(self, adapter: ItemAdapter, sha256: str) -> None:
        """Claim ``sha256`` for this record, or mark the record a duplicate of the one that did."""
        me = {"source": adapter["source"], "source_id": str(adapter["source_id"])}
        key = digest_key(sha256)
        try:
            async with _DIGESTS:
                raw = await asyncio.to_thread(self.store.read, key)
                first = json.loads(raw) if raw else None
                if not isinstance(first, dict) or "source" not in first:
                    data = json.dumps(me).encode()
                    await asyncio.to_thread(self.store.write, key, data, "application/json")
                    return
        except Exception as exc:  # the original is archived; its digest and duplicate flag are not
            if not isinstance(exc, StoreUnavailable):  # that one was logged once, for all
                logger.error("Could not check or write %s: %s", key, exc)
            adapter["error"] = f"could not check or write {key}: {exc}"  # done again next run
            return
        if (first["source"], str(first.get("source_id"))) != (me["source"], me["source_id"]):
            self.crawler.stats.inc_value("archive/duplicates")
            adapter["duplicate_of"] = {"source": first["source"], "source_id": first["source_id"]}

    def get_media_requests(self, item: Any, info: Any) -> list[Request]:
        url = ItemAdapter(item).get("file_url")
        # A short body comes back as a response (flag "dataloss"), so its sizes can be told.
        meta = {"download_fail_on_dataloss": False}
        return [Request(url, callback=NO_CALLBACK, meta=meta)] if url else []

    def media_to_download(self, request: Request, info: Any, *, item: Any = None) -> None:
        """Always download: whether a record is done is decided per record in process_item."""
        return None

    async def media_downloaded(
        self, response: Response, request: Request, info: Any, *, item: Any = None
    ) -> Any:
        """Archive the body if it is the document; otherwise record what came back instead.

        A rejected body is a result, not an exception: the record keeps the reason, the crawl
        goes on, and the next run tries again.
        """
        adapter = ItemAdapter(item)
        response = await self.refetch_truncated(response, request)
        try:
            if response.status != 200:
                raise BadOriginal(f"HTTP {response.status} instead of the document")
            if truncated := truncation(response):
                raise BadOriginal(truncated)
            check_original(response.body, adapter.get("file_type_declared"))
        except BadOriginal as exc:
            self.crawler.stats.inc_value("archive/rejected_original")
            logger.warning("Rejected original %s: %s", request.url, exc)
            adapter["error"] = str(exc)
            return {"url": request.url, "path": "", "checksum": None, "status": REJECTED}
        # FilesPipeline.media_downloaded, less what is checked above; an archive store given up
        # on (logged once, for all) leaves the error on the record instead of a traceback.
        status = "cached" if "cached" in response.flags else "downloaded"
        self.inc_stats(status)
        try:
            checksum = await self.file_downloaded(response, request, info, item=item)
        except StoreUnavailable as exc:
            adapter["error"] = (
                f"could not write {self.file_path(request, response, info, item=item)}: {exc}"
            )
            return {"url": request.url, "path": "", "checksum": None, "status": REJECTED}
        return {
            "url": request.url,
            "path": adapter["file"]["key"],
            "checksum": checksum,
            "status": status,
        }

    async def refetch_truncated(self, response: Response, request: Request) -> Response:
        """``response``, or when its body came back short, a whole one fetched again: up to
        RETRY_TIMES times, after the pauses of BackoffRetryMiddleware."""
        settings = self.crawler.settings
        base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        while response.status == 200 and (reason := truncation(response)):
            retry = get_retry_request(
                request,
                spider=self.crawler.spider,
                reason="truncated download",
                max_retry_times=settings.getint("RETRY_TIMES"),
                give_up_log_level=logging.WARNING,  # the record says what came back: "rejected"
            )
            if retry is None:
                return response
            logger.info("Fetching %s again: %s", request.url, reason)
            await asyncio.sleep(min(base * 2 ** (retry.meta["retry_times"] - 1), cap))
            request = retry
            response = await self.crawler.engine.download_async(retry)
        return response

    def media_failed(self, failure: Failure, request: Request, info: Any) -> Any:
        if isinstance(failure.value, FileException) and str(failure.value):
            raise failure.value
        if too_large := self.oversize(failure, request):
            self.crawler.stats.inc_value("archive/too_large")
            raise FileException(too_large)
        raise FileException(f"download failed: {failure.getErrorMessage()}")

    def oversize(self, failure: Failure, request: Request) -> str | None:
        """The record's error when the download was cancelled for exceeding DOWNLOAD_MAXSIZE.

        Scrapy cancels it with a message when the Content-Length announced too much, and with
        none when the body grew too large while read (its only cancellation of a body under way;
        its log has a warning with the size)."""
        limit = request.meta.get(
            "download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        )
        error = failure.value
        if not limit or not isinstance(error, DownloadCancelledError | CancelledError):
            return None
        message = str(error)
        if message and "max size" not in message:
            return None
        announced = re.search(r"Expected to receive (\d+) bytes", message)
        said = f": {int(announced.group(1)):,} bytes announced" if announced else ""
        return f"larger than DOWNLOAD_MAXSIZE ({megabytes(limit)}){said}"

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: Any = None,
        *,
        item: Any = None,
    ) -> str:
        adapter = ItemAdapter(item)
        kind = (
            check_original(response.body, adapter.get("file_type_declared")) if response else None
        )
        return original_key(adapter["source"], adapter["source_id"], EXTENSIONS.get(kind, ""))

    async def file_downloaded(
        self, response: Response, request: Request, info: Any, *, item: Any = None
    ) -> str:
        adapter = ItemAdapter(item)
        body = response.body
        kind = check_original(body, adapter.get("file_type_declared"))
        key = self.file_path(request, response, info, item=item)
        content_type = CONTENT_TYPES[kind]
        try:
            stored = self.store.persist_file(
                key, BytesIO(body), info, headers={"Content-Type": content_type}
            )
            await ensure_awaitable(stored)
        except Exception as exc:  # any backend failure: boto, network, disk
            self.crawler.stats.inc_value("archive/upload_failed")
            if isinstance(exc, StoreUnavailable):
                raise
            raise ArchiveWriteError(f"could not write {key}: {exc}") from exc
        sha256 = hashlib.sha256(body).hexdigest()
        adapter["file"] = {
            "key": key,
            "sha256": sha256,
            "size": len(body),
            "content_type": content_type,
        }
        adapter["original_bytes"] = body
        await self.note_digest(adapter, sha256)
        return sha256

    def item_completed(self, results: list[tuple[bool, Any]], item: Any, info: Any) -> Any:
        adapter = ItemAdapter(item)
        for ok, value in results:
            if ok and value["status"] != REJECTED:
                self.crawler.stats.inc_value("archive/originals_archived")
                continue
            if not ok:  # a download or upload failure, already logged as an error
                error = value.value if isinstance(value, Failure) else value
                adapter["error"] = str(error) or type(error).__name__
            self.crawler.stats.inc_value("archive/originals_failed")
        if not adapter.get("file_url") and not adapter.get("error"):  # keep a spider's reason
            adapter["error"] = "the listing gave no file URL"
        return item


def truncation(response: Response) -> str | None:
    """What came back, when the body is shorter than the response said it would be."""
    if "dataloss" not in response.flags:
        return None
    received = len(response.body)
    expected = response.headers.get("Content-Length")
    if expected and expected.strip().isdigit() and int(expected) > received:
        return f"truncated download: {received:,} of {int(expected):,} bytes"
    return f"truncated download: {received:,} bytes, the connection closed before the end"


def megabytes(size: int) -> str:
    """``64 MB`` for 64 * 2**20, else the bytes: ``100,000 bytes``."""
    return f"{size // 2**20} MB" if size % 2**20 == 0 else f"{size:,} bytes"
