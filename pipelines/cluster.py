"""Parse on a Dask cluster: ``PARSE_CLUSTER`` (a scheduler's address, ``tcp://host:8786``).

``scrapy reparse`` sends the workers batches of index entries, never documents: each worker
opens the archive itself (``ARCHIVE_URI`` and the endpoint come with the batch, credentials from
the worker's own environment), re-parses, rewrites the records that changed and returns counts.
The driver keeps only a few batches per worker in flight and submits the next as each returns,
so a million records never sit in the scheduler at once. A worker that dies loses nothing: Dask
runs its batches again elsewhere, and since a record is rewritten only when it differs from the
stored one, a batch run twice writes each record once.

The crawl's parse stage and ``scrapy extract`` send each document's bytes to ``parse_remote``.
On a worker, every document is parsed in a bounded local worker process (pipelines/workers.py),
so the per-document time and memory limits hold there too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from itertools import islice
from typing import Any

from scrapy.settings import BaseSettings, Settings

from pipelines.parse import parse_bounded, parse_pool
from pipelines.progress import Meter
from pipelines.reparse import ReparseResult, reparse_entries
from pipelines.storage import open_archive

BATCH = 32  # index entries a task re-parses
IN_FLIGHT = 2  # batches per worker thread submitted ahead
# the settings a worker needs to open the archive; credentials are never sent
ARCHIVE_SETTINGS = (
    "ARCHIVE_URI",
    "AWS_ENDPOINT_URL",
    "AWS_REGION_NAME",
    "AWS_USE_SSL",
    "AWS_VERIFY",
)


def cluster_address(settings: BaseSettings) -> str | None:
    """``PARSE_CLUSTER``: the setting, else the environment (commands run outside the project
    have no project settings), or None."""
    return (settings.get("PARSE_CLUSTER") or os.environ.get("PARSE_CLUSTER") or "").strip() or None


class Cluster:
    """A connection to a Dask scheduler, for the parse work of one command or crawl."""

    def __init__(self, address: str, settings: BaseSettings, timeout: float = 30):
        from distributed import Client  # imported only when a cluster is used

        self.client = Client(address, timeout=timeout, set_as_default=False)
        self.archive = {name: settings.get(name) for name in ARCHIVE_SETTINGS}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def reparse(
        self,
        entries: list[dict[str, Any]],
        older_than: str | None,
        limits: dict[str, Any],
        result: ReparseResult,
        meter: Meter,
        stamp: str,
    ) -> None:
        """Re-parse ``entries`` on the workers, counting into ``result`` as batches return;
        ``stamp``: the run's ``reparsed_at`` (pipelines/reparse.py)."""
        from distributed import as_completed

        batches = _batches(entries)
        ahead = islice(batches, self.threads() * IN_FLIGHT)
        first = [self._submit(batch, older_than, limits, stamp) for batch in ahead]
        if not first:
            return
        running = as_completed(first, loop=self.client.loop)
        for done in running:
            counts: ReparseResult = done.result()
            result.add(counts)
            meter.tick(f"{result.changed} changed so far", counts.checked + counts.current)
            if (batch := next(batches, None)) is not None:  # one more for each that came back
                running.add(self._submit(batch, older_than, limits, stamp))

    def _submit(
        self, batch: list[dict[str, Any]], older_than: str | None, limits: dict, stamp: str
    ) -> Any:
        return self.client.submit(
            reparse_batch, self.archive, batch, older_than, limits, stamp, pure=False, retries=1
        )

    def parse(self, data: bytes, limits: dict[str, Any]) -> dict[str, Any]:
        """Parse one document on the cluster (blocks: call it from a thread)."""
        return self.client.submit(parse_remote, data, limits, pure=False).result()


def _batches(entries: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(entries), BATCH):
        yield entries[start : start + BATCH]


# --- on the workers

_LOCAL = threading.local()  # each worker thread's archive store and bounded parse process


def _pool(limits: dict[str, Any]) -> Any:
    pool = getattr(_LOCAL, "pool", None)
    if pool is None or getattr(_LOCAL, "limits", None) != limits:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        _LOCAL.pool, _LOCAL.limits = parse_pool(1, **limits), dict(limits)
    return _LOCAL.pool


def reparse_batch(
    archive: dict[str, Any],
    entries: list[dict[str, Any]],
    older_than: str | None,
    limits: dict,
    stamp: str,
) -> ReparseResult:
    """A worker's task: re-parse ``entries`` from the archive and rewrite what changed."""
    if getattr(_LOCAL, "archive", None) != archive:
        _LOCAL.store, _LOCAL.archive = open_archive(Settings(archive)), dict(archive)
    result = ReparseResult()
    reparse_entries(_LOCAL.store, entries, _pool(limits), 1, older_than, result, stamp)
    return result


def parse_remote(data: bytes, limits: dict[str, Any]) -> dict[str, Any]:
    """A worker's task: parse one document within the per-document limits."""
    return parse_bounded(_pool(limits), data)
