"""Derive Scrapy's storage settings from the one ARCHIVE_URI setting."""

from __future__ import annotations

from typing import IO, Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import BlockingFeedStorage
from scrapy.settings import Settings

from pipelines.index import NDJSON
from pipelines.keys import crawler_run_id, run_feed_key
from pipelines.storage import crawler_archive, normalize_archive_uri

FEED_SCHEME = "archive"  # FEEDS URIs ``archive:<key>``: a key in the crawl's archive


class ArchiveAddon:
    """Point FilesPipeline (FILES_STORE) and the run feed (FEEDS, ``runs/<spider>/<run id>.jsonl``)
    at ARCHIVE_URI.

    Runs after command-line settings are applied, so ``-s ARCHIVE_URI=s3://b/p`` is honoured.
    """

    def update_settings(self, settings: Settings) -> None:
        uri = normalize_archive_uri(settings.get("ARCHIVE_URI"))
        settings.set("FILES_STORE", uri, priority="addon")
        storages = settings.getdict("FEED_STORAGES")
        storages[FEED_SCHEME] = f"{__name__}.ArchiveFeedStorage"
        settings.set("FEED_STORAGES", storages, priority="addon")
        feeds = settings.getdict("FEEDS")
        feeds[f"{FEED_SCHEME}:" + run_feed_key("%(name)s", "%(run_id)s")] = {
            "format": "jsonlines",
            "encoding": "utf-8",
            "store_empty": False,  # a run that produced nothing leaves no empty feed behind
            "uri_params": "crawler.archive_addon.feed_uri_params",
        }
        settings.set("FEEDS", feeds, priority="addon")


def feed_uri_params(params: dict[str, Any], spider: Spider) -> dict[str, Any]:
    """The run feed's ``%(run_id)s``: the crawl's run id, the one its summary and index segments
    are named by (unique even for two runs started in the same second)."""
    return {**params, "run_id": crawler_run_id(spider.crawler)}


class ArchiveFeedStorage(BlockingFeedStorage):
    """The run feed, written to its key in the crawl's archive by the archive store: under the
    store's outage policy (pipelines/outage.py) like every other write, not by Scrapy's own S3
    or file storage, which would lose the feed to an outage at the end of a run."""

    def __init__(self, uri: str, crawler: Crawler, *, feed_options: dict[str, Any] | None = None):
        self.key = uri.split(":", 1)[1].lstrip("/")
        self.crawler = crawler

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> ArchiveFeedStorage:
        return cls(uri, crawler, feed_options=feed_options)

    def _store_in_thread(self, file: IO[bytes]) -> None:
        file.seek(0)
        crawler_archive(self.crawler).write(self.key, file.read(), NDJSON)
        file.close()
