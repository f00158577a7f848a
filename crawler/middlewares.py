"""Downloader middlewares."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, 429, timeouts) with an exponential pause before each retry.

    The pause is RETRY_BACKOFF_BASE * 2**(n-1) seconds for the n-th retry, capped at
    RETRY_BACKOFF_MAX, or the server's Retry-After when it sends one (429). Only the retried
    request waits; the rest of the crawl goes on.
    """

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self._pause(result, response.headers.get("Retry-After")))
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Any:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self._pause(result, None))
        return result

    def _pause(self, retry: Request, retry_after: bytes | None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.backoff_max)
        attempt = retry.meta.get("retry_times", 1)
        return min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max)
