"""Crawl state kept in the archive, so a fresh container or a CI job picks up where the last
run left off: the scheduled crawl's watermark and a backfill's finished windows.

Nothing here reads the clock: the caller passes the time (crawler/clock.py, which CRAWL_NOW pins).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipelines.keys import backfill_key, watermark_key
from pipelines.storage import ArchiveStore

Window = tuple[date, date]


def _read_json(store: ArchiveStore, key: str) -> dict[str, Any] | None:
    raw = store.read(key)
    return json.loads(raw) if raw else None


def _write_json(store: ArchiveStore, key: str, value: dict[str, Any]) -> None:
    data = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    store.write(key, data, "application/json")


def read_watermark(store: ArchiveStore, spider: str) -> date | None:
    """The last day a clean scheduled run covered, or None before the first one."""
    state = _read_json(store, watermark_key(spider))
    return date.fromisoformat(state["through"]) if state else None


def write_watermark(store: ArchiveStore, spider: str, through: date, updated: datetime) -> None:
    """Record that clean runs have covered every day up to ``through``, as of ``updated``."""
    stamp = updated.astimezone(UTC).isoformat(timespec="seconds")
    _write_json(store, watermark_key(spider), {"through": through.isoformat(), "updated": stamp})


def next_watermark(current: date | None, covered: Window) -> date | None:
    """The watermark after a clean run that covered ``covered``; None to leave it as it is.

    It only moves forward, and only over a run that starts at or before it (plus one day), so
    a run over a later window never leaves an uncovered gap behind the watermark.
    """
    start, end = covered
    if current is None:
        return end
    if start <= current + timedelta(days=1) and end > current:
        return end
    return None


def split_windows(start: date, end: date, days: int) -> list[Window]:
    """[start, end] cut into consecutive windows of ``days`` days (the last may be shorter)."""
    windows = []
    while start <= end:
        last = min(start + timedelta(days=days - 1), end)
        windows.append((start, last))
        start = last + timedelta(days=1)
    return windows


def window_name(window: Window) -> str:
    return f"{window[0].isoformat()}~{window[1].isoformat()}"


class BackfillState:
    """The finished windows of one backfill (a spider, a date range and a stock filter)."""

    def __init__(self, store: ArchiveStore, spider: str, name: str):
        self.store = store
        self.key = backfill_key(spider, name)
        state = _read_json(store, self.key) or {}
        self.finished: set[str] = set(state.get("finished", []))

    def is_finished(self, window: Window) -> bool:
        return window_name(window) in self.finished

    def serialized(self) -> dict[str, Any]:
        return {"finished": sorted(self.finished)}

    def save(self, state: dict[str, Any]) -> None:
        """Write ``state`` (taken with ``serialized()`` in the caller's thread)."""
        _write_json(self.store, self.key, state)
