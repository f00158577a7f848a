"""Project commands: crawl (exit status), crawlall, extract, reparse, export.

The helpers below are shared by the commands that work on the archive.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from pipelines.storage import (
    ArchiveError,
    ArchiveStore,
    LocalArchiveStore,
    normalize_archive_uri,
    open_archive,
)


def day_options(opts: argparse.Namespace, *names: str) -> list[date | None]:
    """The ``--since``/``--until``-style options as dates (None when not given); a bad one is a
    usage error naming the option as it is typed (``--since``)."""
    days: list[date | None] = []
    for name in names:
        value = getattr(opts, name)
        try:
            days.append(date.fromisoformat(value.strip()) if value else None)
        except ValueError:
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None
    return days


def command_archive(command: ScrapyCommand) -> ArchiveStore | None:
    """The archive of ARCHIVE_URI for a command over what is archived (export, reparse): never
    created, nor written to by opening it. None, with exit status 2 after one line on stderr, when
    it does not exist (a missing local folder or S3 bucket) or cannot be used."""
    assert command.settings is not None
    try:
        return _open_existing(command.settings)
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        command.exitcode = 2
        return None


def _open_existing(settings: BaseSettings) -> ArchiveStore:
    uri = normalize_archive_uri(settings.get("ARCHIVE_URI"))
    if uri.startswith("s3://"):
        try:
            return open_archive(settings)  # its check is a HEAD of the bucket: it writes nothing
        except ArchiveError as exc:
            if _no_such_bucket(exc.__cause__):
                raise ArchiveError(f"archive {uri} does not exist (no such bucket)") from None
            raise
    folder = Path(uri)
    if not folder.exists():
        raise ArchiveError(f"archive {folder} does not exist")
    if not folder.is_dir():
        raise ArchiveError(f"archive {folder} is not a folder")
    store = LocalArchiveStore(uri)  # not checked: the check writes a file to see it can
    if callable(attach := getattr(store, "attach", None)):
        attach(settings)  # the store's own handling of outages, as open_archive gives it
    return store


def _no_such_bucket(error: BaseException | None) -> bool:
    response = getattr(error, "response", None)
    code = str(((response or {}).get("Error") or {}).get("Code", ""))
    return code in ("404", "NoSuchBucket")


def progress(line: str) -> None:
    """A progress line of a long command, on stderr."""
    print(line, file=sys.stderr, flush=True)
