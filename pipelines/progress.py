"""Progress lines for long work over the archive (reparse, export): done/total, rate, time left."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Progress = Callable[[str], None]
T = TypeVar("T")


class Meter:
    """Counts work done and, at most every ``every`` seconds, hands ``progress`` a line."""

    def __init__(self, label: str, total: int, progress: Progress | None, every: float = 5.0):
        self.label, self.total, self.progress, self.every = label, total, progress, every
        self.count = 0
        self.started = self.shown = time.monotonic()

    def tick(self, note: str = "", n: int = 1) -> None:
        self.count += n
        if self.progress and time.monotonic() - self.shown >= self.every:
            self.shown = time.monotonic()
            self.progress(self.line(note))

    def done(self, note: str = "") -> None:
        if self.progress:
            self.progress(self.line(note))

    def line(self, note: str = "") -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.count / elapsed
        left = (self.total - self.count) / rate if rate else 0
        extra = f", {note}" if note else ""
        return (
            f"{self.label}: {self.count}/{self.total} records{extra}, {rate:.1f}/s, "
            f"about {int(left)}s left"
        )


def metered(items: Iterable[T], meter: Meter) -> Iterator[T]:
    """``items``, ticking ``meter`` for each, and a last line when they run out."""
    for item in items:
        yield item
        meter.tick()
    meter.done()
