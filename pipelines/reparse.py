"""Re-run the parser over archived originals, with no network, and rewrite only the records
whose parsed fields changed (a new parser version that reads the same gives the same record).

Records are picked by published day from the archive index, which this only reads: the parser
version a ``--parser-older-than`` run compares is read from each record, since the index keeps the
version the crawl archived (records are rewritten here, index entries are not)."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pipelines.index import (
    archive_sources,
    load_index,
    parse_record,
    record_version,
    version_older,
)
from pipelines.parse import failed_parse, merge_parsed, parse_pool
from pipelines.parser import parse_document
from pipelines.progress import Meter, Progress
from pipelines.records import record_bytes
from pipelines.storage import ArchiveStore
from pipelines.workers import WorkerError


@dataclass
class ReparseResult:
    checked: int = 0  # records parsed again and compared
    changed: int = 0
    missing: int = 0  # records or originals the index names but the archive lacks
    current: int = 0  # with ``older_than``: records already parsed by that version or a later one

    def add(self, other: ReparseResult) -> None:
        self.checked += other.checked
        self.changed += other.changed
        self.missing += other.missing
        self.current += other.current


def without_version(record: dict[str, Any]) -> dict[str, Any]:
    """The record as compared: the parser version alone is not a change."""
    parse = {k: v for k, v in (record.get("parse") or {}).items() if k != "parser_version"}
    return {**record, "parse": parse}


def reparsed(record: dict[str, Any], parsed: dict[str, Any]) -> dict[str, Any]:
    """``record`` with freshly parsed fields, merged as the crawl merges them."""
    new = copy.deepcopy(record)
    merge_parsed(new, parsed)
    return new


def reparse_archive(
    store: ArchiveStore,
    *,
    sources: list[str] | None = None,
    since: date | None = None,
    older_than: str | None = None,
    workers: int = 2,
    limits: dict[str, Any] | None = None,
    cluster: Any = None,
    progress: Progress | None = None,
    every: float = 5.0,
) -> ReparseResult:
    """Re-parse the archived originals of ``sources`` (default all) published since ``since``
    and, with ``older_than``, whose record was parsed by an older parser version (or none).

    Writes records only: never the index (nor anything else). ``limits``: the per-document
    limits of ``parse_pool``. With ``cluster`` (pipelines/cluster.py's ``Cluster``), the
    records are re-parsed by its workers, which read and write the archive themselves."""
    result = ReparseResult()
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")  # this run's ``reparsed_at``
    for source in sources or archive_sources(store):
        index = load_index(store, source)
        todo = [
            entry
            for entry in index.select(since=since)
            if entry.get("file_key") and not entry.get("error")
        ]
        meter = Meter(f"reparse {source}", len(todo), progress, every)
        if cluster is not None:
            cluster.reparse(todo, older_than, limits or {}, result, meter, stamp)
        else:
            with parse_pool(max(1, workers), **(limits or {})) as pool:
                reparse_entries(store, todo, pool, workers * 2, older_than, result, stamp, meter)
        meter.done(f"{result.changed} changed so far")
    return result


def reparse_entries(
    store: ArchiveStore,
    entries: list[dict[str, Any]],
    pool: Any,
    ahead: int,
    older_than: str | None,
    result: ReparseResult,
    stamp: str,
    meter: Meter | None = None,
) -> None:
    """Re-parse ``entries`` with ``pool`` (``ahead`` originals in its workers at once), rewrite
    the records that changed, with ``stamp`` (the run's own) as their ``reparsed_at``, and count
    into ``result``. Rewriting only what changed makes it safe to run twice: a second run over
    the same entries writes nothing. A record that already carries ``stamp`` was rewritten by
    this run (a cluster batch run again after its worker died): it is counted, not parsed."""
    for entry, record, parsed in _parsed(store, entries, pool.submit, ahead, older_than, stamp):
        if parsed is REWRITTEN:
            result.checked += 1
            result.changed += 1
        elif record is not None and parsed is CURRENT:
            result.current += 1
        elif record is None or parsed is None:
            result.checked += 1
            result.missing += 1
        else:
            result.checked += 1
            new = reparsed(record, parsed)
            if without_version(new) != without_version(record):
                new["reparsed_at"] = stamp
                store.write(entry["key"], record_bytes(new), "application/json")
                result.changed += 1
        if meter is not None:
            meter.tick(f"{result.changed} changed so far")


CURRENT: dict[str, Any] = {}  # the parse result of a record left alone: its version is not older
REWRITTEN: dict[str, Any] = {}  # ... of a record this run has rewritten already
Pending = tuple[dict[str, Any], dict[str, Any] | None, Future[dict[str, Any]] | None]


def _parsed(
    store: ArchiveStore,
    entries: list[dict[str, Any]],
    submit: Callable[..., Future[dict[str, Any]]],
    ahead: int,
    older_than: str | None,
    stamp: str,
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]]:
    """(entry, record, parse result) in order, keeping ``ahead`` originals in the workers at once.

    The record is None when it is missing from the archive, the parse result None when the
    original is; with ``older_than`` it is ``CURRENT`` for a record parsed by that version or a
    later one, which is not parsed again (the version is the record's: the index's may be stale);
    ``REWRITTEN`` for a record whose ``reparsed_at`` is ``stamp``."""
    queue: deque[Pending] = deque()
    for entry in entries:
        record = parse_record(store.read(entry["key"]))
        if record is None:
            queue.append((entry, None, None))
        elif record.get("reparsed_at") == stamp:
            queue.append((entry, record, _done(REWRITTEN)))
        elif older_than and not version_older(record_version(record), older_than):
            queue.append((entry, record, _done(CURRENT)))
        else:
            data = store.read(entry["file_key"])
            future = submit(parse_document, data) if data is not None else None
            queue.append((entry, record, future))
        if len(queue) >= ahead:
            yield _settled(*queue.popleft())
    while queue:
        yield _settled(*queue.popleft())


def _done(result: dict[str, Any]) -> Future[dict[str, Any]]:
    future: Future[dict[str, Any]] = Future()
    future.set_result(result)
    return future


def _settled(
    entry: dict[str, Any], record: dict[str, Any] | None, future: Future[dict[str, Any]] | None
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    if future is None:
        return entry, record, None
    try:
        return entry, record, future.result()
    except WorkerError as exc:  # a document past its limits, or a worker that died
        return entry, record, failed_parse(str(exc))
    except Exception as exc:  # parse_document does not raise
        return entry, record, failed_parse(f"parser error: {exc!r}")
