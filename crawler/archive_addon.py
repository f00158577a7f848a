"""Derive Scrapy's storage settings from the one ARCHIVE_URI setting."""

from __future__ import annotations

from scrapy.settings import Settings

from pipelines.keys import run_feed_key
from pipelines.storage import normalize_archive_uri


class ArchiveAddon:
    """Point FilesPipeline (FILES_STORE) and the run feed (FEEDS) at ARCHIVE_URI.

    Runs after command-line settings are applied, so ``-s ARCHIVE_URI=s3://b/p`` is honoured.
    """

    def update_settings(self, settings: Settings) -> None:
        uri = normalize_archive_uri(settings.get("ARCHIVE_URI"))
        settings.set("FILES_STORE", uri, priority="addon")
        feeds = settings.getdict("FEEDS")
        feeds[uri + run_feed_key("%(name)s", "%(time)s")] = {
            "format": "jsonlines",
            "encoding": "utf-8",
            "store_empty": False,  # a run that produced nothing leaves no empty feed behind
        }
        settings.set("FEEDS", feeds, priority="addon")
