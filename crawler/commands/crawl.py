"""``scrapy crawl`` with an exit status a scheduler can trust.

Scrapy exits 0 even when uploads failed or the spider was closed early. This command exits 1
when the run logged errors or did not finish, and 2 with one clear line for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from crawler.spiders.base import ArgumentError
from pipelines.storage import ArchiveError

CLEAN_ERRORS = (ArgumentError, ArchiveError)
logger = logging.getLogger(__name__)


def run_failed(crawler: Crawler) -> str | None:
    """Why the finished run counts as failed, or None when it succeeded."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    if reason != "finished":
        return f"the spider closed early ({reason})"
    errors = stats.get("log_count/ERROR", 0) + stats.get("log_count/CRITICAL", 0)
    if errors:
        return f"{errors} error(s) were logged"
    return None


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        problems: list[str] = []

        def note_start_error(task: asyncio.Task[None]) -> None:
            error = (
                None if task.cancelled() else task.exception()
            )  # retrieved: asyncio won't print it
            if isinstance(error, CLEAN_ERRORS):
                problems.append(str(error))
            elif error is not None:
                logger.error("The crawl failed", exc_info=error)

        # With the asyncio reactor (settings.TWISTED_REACTOR) crawl() returns an asyncio task.
        self.crawler_process.crawl(crawler, **opts.spargs).add_done_callback(note_start_error)
        self.crawler_process.start()
        if problems:
            print(f"error: {problems[0]}", file=sys.stderr)
            self.exitcode = 2
            return
        failed = "the crawl did not start" if self.crawler_process.bootstrap_failed else None
        failed = failed or run_failed(crawler)
        if failed:
            print(f"crawl failed: {failed}", file=sys.stderr)
            self.exitcode = 1
