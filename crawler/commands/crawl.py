"""``scrapy crawl`` with an exit status a scheduler can trust.

Scrapy exits 0 even when uploads failed or the spider was closed early. This command exits 1
when the run logged errors or did not finish, and 2 with one clear line for bad arguments. When a
site could not be reached at all, the last line says which and why:
``cannot reach www.cninfo.com.cn: connection refused``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from crawler.extensions import run_problem
from crawler.reach import unreachable_hosts
from crawler.spiders.base import ArgumentError
from pipelines.storage import ArchiveError

CLEAN_ERRORS = (ArgumentError, ArchiveError)
logger = logging.getLogger(__name__)


def run_failed(crawler: Crawler) -> str | None:
    """Why the finished run counts as failed, or None when it succeeded."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return run_problem(stats.get("finish_reason"), stats)


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        self.run_spiders([args[0]], opts.spargs)

    def run_spiders(self, names: list[str], spargs: dict[str, str]) -> None:
        """Run the spiders together in this process; set the exit status from all of them."""
        assert self.crawler_process
        known = sorted(self.crawler_process.spider_loader.list())
        if unknown := [name for name in names if name not in known]:
            print(
                f"error: unknown spider {unknown[0]!r} (known: {', '.join(known)})", file=sys.stderr
            )
            self.exitcode = 2
            return
        crawlers = {name: self._create_crawler(name) for name in names}
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
        for crawler in crawlers.values():
            self.crawler_process.crawl(crawler, **spargs).add_done_callback(note_start_error)
        self.crawler_process.start()
        if problems:
            print(f"error: {problems[0]}", file=sys.stderr)
            self.exitcode = 2
            return
        if self.crawler_process.bootstrap_failed:
            print("crawl failed: the crawl did not start", file=sys.stderr)
            self.exitcode = 1
            return
        unreachable: dict[str, str] = {}
        for name, crawler in crawlers.items():
            if hosts := unreachable_hosts(crawler.stats.get_stats() if crawler.stats else {}):
                unreachable.update(hosts)
                self.exitcode = 1
            elif failed := run_failed(crawler):
                prefix = f"{name}: " if len(crawlers) > 1 else ""
                print(f"crawl failed: {prefix}{failed}", file=sys.stderr)
                self.exitcode = 1
        for host, reason in unreachable.items():  # last: the cause a scheduler's mail shows
            print(f"cannot reach {host}: {reason}", file=sys.stderr)
