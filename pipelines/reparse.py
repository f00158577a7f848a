"""Re-run the parser over archived originals, with no network, and rewrite only the records
whose parsed fields changed (a new parser version that reads the same gives the same record)."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pipelines.index import archive_sources, load_index, parse_record
from pipelines.parse import failed_parse, merge_parsed, parse_pool
from pipelines.parser import parse_document
from pipelines.progress import Meter, Progress
from pipelines.records import record_bytes
from pipelines.storage import ArchiveStore


@dataclass
class ReparseResult:
    checked: int = 0
    changed: int = 0
    missing: int = 0  # records or originals the index names but the archive lacks


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
    progress: Progress | None = None,
    every: float = 5.0,
) -> ReparseResult:
    """Re-parse the archived originals of ``sources`` (default all) published since ``since``
    and, with ``older_than``, parsed by an older parser version."""
    result = ReparseResult()
    with parse_pool(max(1, workers)) as pool:
        for source in sources or archive_sources(store):
            index = load_index(store, source)
            todo = [
                entry
                for entry in index.select(since=since, older_than=older_than)
                if entry.get("file_key") and not entry.get("error")
            ]
            meter = Meter(f"reparse {source}", len(todo), progress, every)
            for entry, parsed in _parsed(store, todo, pool.submit, workers * 2):
                record = parse_record(store.read(entry["key"]))
                result.checked += 1
                if record is None or parsed is None:
                    result.missing += 1
                elif without_version(new := reparsed(record, parsed)) != without_version(record):
                    new["reparsed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
                    store.write(entry["key"], record_bytes(new), "application/json")
                    index.add(new)
                    result.changed += 1
                meter.tick(f"{result.changed} changed so far")
            index.save()
            meter.done(f"{result.changed} changed so far")
    return result


def _parsed(
    store: ArchiveStore,
    entries: list[dict[str, Any]],
    submit: Callable[..., Future[dict[str, Any]]],
    ahead: int,
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(entry, parse result) in order, keeping ``ahead`` originals in the workers at once;
    None for an original missing from the archive."""
    queue: deque[tuple[dict[str, Any], Future[dict[str, Any]] | None]] = deque()
    for entry in entries:
        data = store.read(entry["file_key"])
        queue.append((entry, submit(parse_document, data) if data is not None else None))
        if len(queue) >= ahead:
            yield _settled(*queue.popleft())
    while queue:
        yield _settled(*queue.popleft())


def _settled(
    entry: dict[str, Any], future: Future[dict[str, Any]] | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if future is None:
        return entry, None
    try:
        return entry, future.result()
    except Exception as exc:  # parse_document does not raise; a dead worker does
        return entry, failed_parse(f"parser error: {exc!r}")
