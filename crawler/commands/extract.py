"""``scrapy extract PATH [PATH ...]``: parse IR-record files and print one JSON line each.

Each file is parsed in a worker process within the crawl's limits (PARSE_TIME_LIMIT,
PARSE_MEMORY_LIMIT_MB), or on the cluster of PARSE_CLUSTER: a file past them prints a failed
record saying why, and the next one is parsed."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from typing import ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from pipelines.cluster import Cluster, cluster_address
from pipelines.parse import parse_bounded, parse_limits, parse_pool


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
        assert self.settings is not None
        limits = parse_limits(self.settings)
        with ExitStack() as stack:
            if address := cluster_address(self.settings):
                cluster = stack.enter_context(Cluster(address, self.settings))
                parse = lambda data: cluster.parse(data, limits)  # noqa: E731
            else:
                pool = stack.enter_context(parse_pool(1, **limits))
                parse = lambda data: parse_bounded(pool, data)  # noqa: E731
            failed = 0
            for path in args:
                try:
                    with open(path, "rb") as fh:
                        data = fh.read()
                except OSError as exc:
                    print(f"extract: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
                    failed += 1
                    continue
                record = {"file": path, **parse(data)}
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
                sys.stdout.flush()
        if failed:
            self.exitcode = 1
