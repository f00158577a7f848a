"""Project commands: crawl (exit status), crawlall, extract, reparse, export.

The helpers below are shared by the commands that work on the archive.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.spiders.base import ArgumentError, parse_day
from pipelines.storage import ArchiveError, ArchiveStore, open_archive


def day_options(opts: argparse.Namespace, *names: str) -> list[date | None]:
    """The ``--since``/``--until``-style options as dates (None when not given)."""
    try:
        return [
            parse_day(value, name) if (value := getattr(opts, name)) else None for name in names
        ]
    except ArgumentError as exc:
        raise UsageError(str(exc)) from None


def command_archive(command: ScrapyCommand) -> ArchiveStore | None:
    """The archive of ARCHIVE_URI, or None after saying why it cannot be used (exit status 2)."""
    assert command.settings is not None
    try:
        return open_archive(command.settings)
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        command.exitcode = 2
        return None


def progress(line: str) -> None:
    """A progress line of a long command, on stderr."""
    print(line, file=sys.stderr, flush=True)
