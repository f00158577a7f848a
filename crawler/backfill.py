"""Walking a date range in fixed windows, in date order, resumably.

A range longer than ``BACKFILL_WINDOW_DAYS`` is cut into windows. A window is finished when
every listing page of it has been parsed and every record from those pages has left the
pipelines, archived without error or already archived. Finished windows are saved in the
archive (after the index), so a run stopped or killed and started again with the same
arguments skips them. A page that failed or a record with an error leaves its window
unfinished: the resumed run lists it again and retries only what is missing.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import date
from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from pipelines.index import IndexPipeline
from pipelines.state import BackfillState, Window, split_windows, window_name
from pipelines.storage import ArchiveStore

logger = logging.getLogger(__name__)


class WindowWalk:
    """The windows of one run and which of them are finished."""

    def __init__(self, crawler: Crawler, windows: list[Window], state: BackfillState | None):
        self.crawler = crawler
        self.windows = windows
        self.starts = [w[0] for w in windows]
        self.state = state
        self.pending = [0] * len(windows)  # listing pages and records still in flight
        self.broken: set[int] = set()
        self.finished_before = {i for i, w in enumerate(windows) if state and state.is_finished(w)}
        self.finished_now: set[int] = set()
        self.records: dict[tuple[str, str], int] = {}
        self.started = time.monotonic()
        self.saves: set[asyncio.Future[None]] = set()
        for signal, handler in (
            (signals.item_scraped, self.item_scraped),
            (signals.item_dropped, self.item_dropped),
            (signals.item_error, self.item_error),
            (signals.spider_closed, self.close),
        ):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def plan(
        cls,
        crawler: Crawler,
        store: ArchiveStore,
        name: str,
        start: date,
        end: date,
        stocks: Iterable[str],
    ) -> WindowWalk:
        days = max(1, crawler.settings.getint("BACKFILL_WINDOW_DAYS", 30))
        windows = split_windows(start, end, days)
        state = None
        if len(windows) > 1:
            label = "_".join([start.isoformat(), end.isoformat(), *stocks])
            state = BackfillState(store, name, label)
        return cls(crawler, windows, state)

    @property
    def total(self) -> int:
        return len(self.windows)

    @property
    def done(self) -> int:
        return len(self.finished_before) + len(self.finished_now)

    def summary(self) -> dict[str, Any]:
        """Windows total and finished, and those a failed listing or record left unfinished."""
        failed = [window_name(self.windows[i]) for i in sorted(self.broken)]
        return {"total": self.total, "finished": self.done, "failed": failed}

    def todo(self) -> list[Window]:
        """The windows still to crawl, in date order."""
        if self.finished_before:
            logger.info(
                "Resuming: %d of %d windows were finished by an earlier run",
                len(self.finished_before),
                self.total,
            )
        return [w for i, w in enumerate(self.windows) if i not in self.finished_before]

    def index_of(self, window: Window) -> int:
        """The run window holding ``window`` (a split part of one, or the window itself)."""
        return max(0, bisect.bisect_right(self.starts, window[0]) - 1)

    # --- bookkeeping

    def listing_sent(self, request: Request) -> None:
        i = self.index_of(request.cb_kwargs["window"])
        self.pending[i] += 1
        request.priority = self.total - i  # earlier windows first

    def window_failed(self, window: Window) -> None:
        """A listing page of ``window`` failed: the window is not finished in this run."""
        self.broken.add(self.index_of(window))

    def listing_parsed(self, window: Window) -> None:
        self._settle(self.index_of(window))

    def record_yielded(self, window: Window, item: Any) -> None:
        i = self.index_of(window)
        self.pending[i] += 1
        self.records[self._key(item)] = i

    def item_scraped(self, item: Any) -> None:
        self._record_done(item, failed=bool(ItemAdapter(item).get("error")))

    def item_dropped(self, item: Any) -> None:
        self._record_done(item, failed=False)  # already archived

    def item_error(self, item: Any) -> None:
        self._record_done(item, failed=True)

    def _record_done(self, item: Any, failed: bool) -> None:
        i = self.records.pop(self._key(item), None)
        if i is None:
            return
        if failed:
            self.broken.add(i)
        self._settle(i)

    @staticmethod
    def _key(item: Any) -> tuple[str, str]:
        adapter = ItemAdapter(item)
        return str(adapter.get("source")), str(adapter.get("source_id"))

    def _settle(self, i: int) -> None:
        self.pending[i] -= 1
        if self.pending[i] or i in self.broken:
            return
        self.finished_now.add(i)
        logger.info(
            "Window %s finished (%d/%d)", window_name(self.windows[i]), self.done, self.total
        )
        if self.state is not None:
            self.state.finished.add(window_name(self.windows[i]))
            save = asyncio.ensure_future(self.save())
            self.saves.add(save)
            save.add_done_callback(self.saves.discard)

    async def save(self) -> None:
        """Save the index, then the finished windows: a finished window's records are indexed."""
        assert self.state is not None
        state = self.state.serialized()
        pipeline = self.crawler.get_item_pipeline(IndexPipeline)
        if pipeline is not None:
            await pipeline.flush()
        try:
            await asyncio.to_thread(self.state.save, state)
        except Exception as exc:  # any backend failure; a resumed run redoes these windows
            logger.error("Could not save the backfill state %s: %s", self.state.key, exc)

    async def close(self) -> None:
        if self.saves:
            await asyncio.gather(*self.saves)
        if self.state is not None and self.finished_now:
            await self.save()


class WindowMiddleware:
    """Counts each window's listing pages and records for the spider's WindowWalk.

    Listing requests are those whose ``cb_kwargs`` hold ``window`` and ``page``.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WindowMiddleware:
        return cls(crawler)

    def _walk(self) -> WindowWalk | None:
        return getattr(self.crawler.spider, "walk", None)

    @staticmethod
    def _window(response: Response | None) -> Window | None:
        if response is None or "page" not in response.cb_kwargs:
            return None
        return response.cb_kwargs.get("window")

    def _count(self, walk: WindowWalk, window: Window | None, out: Any) -> None:
        if isinstance(out, Request) and {"window", "page"} <= out.cb_kwargs.keys():
            walk.listing_sent(out)
        elif window is not None and is_item(out):
            walk.record_yielded(window, out)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        walk = self._walk()
        async for out in start:
            if walk is not None:
                self._count(walk, None, out)
            yield out

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        walk, window = self._walk(), self._window(response)
        for out in result:
            if walk is not None:
                self._count(walk, window, out)
            yield out
        if walk is not None and window is not None:
            walk.listing_parsed(window)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        walk, window = self._walk(), self._window(response)
        async for out in result:
            if walk is not None:
                self._count(walk, window, out)
            yield out
        if walk is not None and window is not None:
            walk.listing_parsed(window)
