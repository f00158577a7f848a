"""``scrapy extract PATH [PATH ...]``: parse IR-record files and print one JSON line each."""

from __future__ import annotations

import json
import sys
from typing import ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from pipelines.parser import parse_document


class Command(ScrapyCommand):
    """Run the document parser on local files (PDF, DOCX, DOC, HTML) and print JSON Lines."""

    requires_project = False
    requires_crawler_process = False  # no crawl: no reactor to install, a faster start
    default_settings: ClassVar[dict[str, object]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "PATH [PATH ...]"

    def short_desc(self) -> str:
        return "Parse IR activity record files into JSON Lines (one object per file)"

    def run(self, args: list[str], opts) -> None:
        if not args:
            raise UsageError("give at least one file path")
        failed = 0
        for path in args:
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                print(f"extract: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
                failed += 1
                continue
            record = {"file": path, **parse_document(data)}
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        if failed:
            self.exitcode = 1
