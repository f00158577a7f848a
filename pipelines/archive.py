"""Download every original and archive its bytes under a key found from the bytes.

A FilesPipeline subclass: Scrapy does the downloading and the upload to the local folder or S3;
this class decides what counts as a real original, names it, and records what went wrong.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from io import BytesIO
from typing import Any, ClassVar

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException
from scrapy.utils.defer import ensure_awaitable
from twisted.python.failure import Failure

from pipelines.filetypes import CONTENT_TYPES, EXTENSIONS, BadOriginal, check_original
from pipelines.keys import original_key, record_key
from pipelines.storage import STORE_SCHEMES, ArchiveError, open_archive

logger = logging.getLogger(__name__)
REJECTED = "rejected"  # FileInfo status of a body that was not the document


class ArchiveWriteError(FileException):
    """Uploading or writing the original to the archive failed."""


class ArchivePipeline(FilesPipeline):
    STORE_SCHEMES: ClassVar[dict[str, Any]] = {**FilesPipeline.STORE_SCHEMES, **STORE_SCHEMES}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        # Check the archive before any request is made: a missing bucket must stop the crawl.
        try:
            open_archive(crawler.settings)
        except ArchiveError as exc:
            logger.critical("Archive unusable, not crawling: %s", exc)
            raise
        return super().from_crawler(crawler)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if await asyncio.to_thread(self._archived_without_error, adapter):
            self.crawler.stats.inc_value("archive/already_archived")
            raise DropItem(
                f"already archived: {adapter['source']}/{adapter['source_id']}", log_level="DEBUG"
            )
        return await super().process_item(item)

    def _archived_without_error(self, adapter: ItemAdapter) -> bool:
        raw = self.store.read(record_key(adapter["source"], adapter["source_id"]))
        if raw is None:
            return False
        try:
            return not json.loads(raw).get("error")
        except ValueError:
            return False  # a damaged record is rewritten

    def get_media_requests(self, item: Any, info: Any) -> list[Request]:
        url = ItemAdapter(item).get("file_url")
        return [Request(url, callback=NO_CALLBACK)] if url else []

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
        try:
            if response.status != 200:
                raise BadOriginal(f"HTTP {response.status} instead of the document")
            check_original(response.body, adapter.get("file_type_declared"))
        except BadOriginal as exc:
            self.crawler.stats.inc_value("archive/rejected_original")
            logger.warning("Rejected original %s: %s", request.url, exc)
            adapter["error"] = str(exc)
            return {"url": request.url, "path": "", "checksum": None, "status": REJECTED}
        return await super().media_downloaded(response, request, info, item=item)

    def media_failed(self, failure: Failure, request: Request, info: Any) -> Any:
        if isinstance(failure.value, FileException) and str(failure.value):
            raise failure.value
        raise FileException(f"download failed: {failure.getErrorMessage()}")

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
            raise ArchiveWriteError(f"could not write {key}: {exc}") from exc
        sha256 = hashlib.sha256(body).hexdigest()
        adapter["file"] = {
            "key": key,
            "sha256": sha256,
            "size": len(body),
            "content_type": content_type,
        }
        adapter["original_bytes"] = body
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
        if not adapter.get("file_url"):
            adapter["error"] = "the listing gave no file URL"
        return item
