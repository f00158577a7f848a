"""``scrapy export --format parquet|jsonl|csv [--since DATE] [--until DATE] OUT``: the archive's
records as tidy tables (records, participants, reception, qa) in the folder OUT.

It only reads the archive: it writes no index segment, and never creates an archive (one that does
not exist: exit status 2, one line on stderr). pyarrow is imported only when the command runs:
Scrapy imports every command module at every start, a crawl's included."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import command_archive, day_options, progress
from pipelines.progress import Meter, metered


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # no crawl: no reactor, no Scrapy start-up log lines

    def syntax(self) -> str:
        return "--format parquet|jsonl|csv [--since DATE] [--until DATE] OUT"

    def short_desc(self) -> str:
        return "Export the archive as tables: records, participants, reception, qa"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--format", dest="fmt", default="parquet", help="parquet, jsonl or csv")
        parser.add_argument("--since", help="records published on or after YYYY-MM-DD")
        parser.add_argument("--until", help="records published on or before YYYY-MM-DD")
        parser.add_argument("--source", action="append", help="only this source (repeatable)")
        parser.add_argument(
            "--drop-duplicates",
            action="store_true",
            help="leave out records whose original another source archived first",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from pipelines.export import FORMATS, archived_records, export_archive, selected_entries

        if len(args) != 1:
            raise UsageError("give the output folder")
        if opts.fmt not in FORMATS:
            raise UsageError(f"--format {opts.fmt}: not one of {', '.join(FORMATS)}")
        since, until = day_options(opts, "since", "until")
        if (store := command_archive(self)) is None:
            return
        entries = selected_entries(store, since, until, opts.source)
        meter = Meter("export", len(entries), progress)
        records = metered(archived_records(store, entries), meter)
        counts = export_archive(records, Path(args[0]), opts.fmt, opts.drop_duplicates)
        print(
            "export: " + ", ".join(f"{name} {rows} rows" for name, rows in counts.items()),
            file=sys.stderr,
        )
