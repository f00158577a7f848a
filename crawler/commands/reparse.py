"""``scrapy reparse [--since DATE] [--source NAME] [--parser-older-than VERSION]``: run the
parser again over archived originals, with no network, and rewrite the records that changed.

It writes records and nothing else: never the index, and never an archive that does not exist
(exit status 2, one line on stderr)."""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import command_archive, day_options, progress
from pipelines.cluster import Cluster, cluster_address
from pipelines.parse import parse_limits
from pipelines.reparse import reparse_archive


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # no crawl: no reactor, no Scrapy start-up log lines

    def syntax(self) -> str:
        return "[--since DATE] [--source NAME] [--parser-older-than VERSION] [--workers N]"

    def short_desc(self) -> str:
        return "Re-parse archived originals (no network); rewrite only records whose parse changed"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--since", help="only records published on or after YYYY-MM-DD")
        parser.add_argument("--source", action="append", help="only this source (repeatable)")
        parser.add_argument(
            "--parser-older-than", help="only records parsed by a parser version below this"
        )
        parser.add_argument("--workers", type=int, help="parser processes (PARSE_WORKERS)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("reparse takes no positional arguments")
        (since,) = day_options(opts, "since")
        if (store := command_archive(self)) is None:
            return
        assert self.settings is not None
        with ExitStack() as stack:
            cluster = None
            if address := cluster_address(self.settings):
                cluster = stack.enter_context(Cluster(address, self.settings))
            result = reparse_archive(
                store,
                sources=opts.source,
                since=since,
                older_than=opts.parser_older_than,
                workers=opts.workers or self.settings.getint("PARSE_WORKERS", 2),
                limits=parse_limits(self.settings),
                cluster=cluster,
                progress=progress,
            )
        current = (
            f", {result.current} already parsed by {opts.parser_older_than} or later"
            if opts.parser_older_than
            else ""
        )
        progress(
            f"reparse: {result.checked} records checked, {result.changed} rewritten, "
            f"{result.missing} missing from the archive{current}"
        )
        if result.missing:
            self.exitcode = 1
