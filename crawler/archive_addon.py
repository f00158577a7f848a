"""Derive Scrapy's storage settings from the one ARCHIVE_URI setting."""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.settings import Settings

from pipelines.keys import crawler_run_id, run_feed_key
from pipelines.storage import normalize_archive_uri


class ArchiveAddon:
    """Point FilesPipeline (FILES_STORE) and the run feed (FEEDS, ``runs/<spider>/<run id>.jsonl``)
    at ARCHIVE_URI.

    Runs after command-line settings are applied, so ``-s ARCHIVE_URI=s3://b/p`` is honoured.
    """

    def update_settings(self, settings: Settings) -> None:
        uri = normalize_archive_uri(settings.get("ARCHIVE_URI"))
        settings.set("FILES_STORE", uri, priority="addon")
        feeds = settings.getdict("FEEDS")
        feeds[uri + run_feed_key("%(name)s", "%(run_id)s")] = {
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
