"""``scrapy crawlall -a start=... -a end=... [-a stock=...]``: every source for the same window.

Runs the spiders in CRAWL_ALL_SPIDERS together in one process; the exit status is that of
``scrapy crawl`` over all of them (1 when any logged errors or stopped early).
"""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError

from crawler.commands.crawl import Command as CrawlCommand


class Command(CrawlCommand):
    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Run every source's spider (CRAWL_ALL_SPIDERS) for the same window"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("crawlall takes no spider name: it runs CRAWL_ALL_SPIDERS")
        assert self.settings is not None
        self.run_spiders(self.settings.getlist("CRAWL_ALL_SPIDERS"), opts.spargs)
