"""Downloader and spider middlewares."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings

from crawler.reach import UNREACHABLE
from pipelines.index import failed_listings
from pipelines.storage import crawler_archive


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, 429, timeouts) with an exponential pause before each retry.

    The pause is RETRY_BACKOFF_BASE * 2**(n-1) seconds for the n-th retry, capped at
    RETRY_BACKOFF_MAX, or the server's Retry-After when it sends one (429). Only the retried
    request waits; the rest of the crawl goes on.

    A refused connection, a failed DNS lookup or no route to the host is retried only
    RETRY_UNREACHABLE_TIMES times: a host that is not there answers no sooner after minutes of
    backoff, and a scheduled run against it should fail within seconds, saying so.
    """

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.unreachable_times = settings.getint("RETRY_UNREACHABLE_TIMES", 2)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self._pause(result, response.headers.get("Retry-After")))
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Any:
        meta = request.meta
        retried = isinstance(exception, self.exceptions_to_retry) and not meta.get("dont_retry")
        if retried and isinstance(exception, UNREACHABLE):
            result = get_retry_request(
                request,
                spider=self.crawler.spider,
                reason=exception,
                max_retry_times=min(
                    self.unreachable_times, meta.get("max_retry_times", self.max_retry_times)
                ),
                priority_adjust=meta.get("priority_adjust", self.priority_adjust),
                give_up_log_level=meta.get("give_up_log_level", self.give_up_log_level),
            )
        else:
            result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self._pause(result, None))
        return result

    def _pause(self, retry: Request, retry_after: bytes | None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.backoff_max)
        attempt = retry.meta.get("retry_times", 1)
        return min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max)


class RetryFailedRecords:
    """Fetch again the originals that failed in earlier scheduled runs.

    A scheduled run lists only the days since the watermark, so a record whose original came
    back as a block page or timed out would never be listed again. After the start requests of a
    scheduled run, this yields such records of the RETRY_FAILED_DAYS before the run's window again,
    rebuilt from what their record kept; the pipelines then fetch and archive them as usual.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.days = crawler.settings.getint("RETRY_FAILED_DAYS", 30)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryFailedRecords:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for out in start:
            yield out
        spider: Any = self.crawler.spider
        if self.days <= 0 or not getattr(spider, "scheduled", False):
            return
        # Days before the window only: the window's own records are listed again anyway.
        before = spider.start_date - timedelta(days=1)
        store = crawler_archive(self.crawler)
        listings = await asyncio.to_thread(
            failed_listings, store, spider.source, before - timedelta(days=self.days), before
        )
        for record in listings:
            if spider.stocks and record.get("stock_code") not in spider.stocks:
                continue
            if (again := spider.fetch_again(record)) is not None:
                self.crawler.stats.inc_value("archive/failed_retried")
                yield again
