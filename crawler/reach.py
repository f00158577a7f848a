"""Which hosts a run reached, and why it could not reach the others.

Any response from a host, whatever its status, marks the host reached (``ReachMiddleware``, a
downloader middleware). A listing request whose connection still failed after its retries is
counted against its host with the reason (``RecordSpider.listing_failed``, the listing errback).
A run with failures for a host it never reached failed because of that host: the crawl's last
line is ``cannot reach <host>: <reason>`` (crawler/commands/crawl.py).

Connection refused, a failed DNS lookup and no route to the host say the host is not there at
all: they are retried RETRY_UNREACHABLE_TIMES times, not RETRY_TIMES (crawler/middlewares.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
)
from scrapy.http import Request, Response
from twisted.internet.error import (
    ConnectError,
    ConnectionDone,
    ConnectionLost,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
)
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.web.client import ResponseFailed, ResponseNeverReceived

ANSWERED = "reach/answered/"  # stats: responses from a host
FAILED = "reach/failed/"  # listing requests to a host that failed without a response
REASON = "reach/reason/"  # why the last of them failed

# Failures that mean the host is not there: few, quick retries.
UNREACHABLE: tuple[type[BaseException], ...] = (
    DownloadConnectionRefusedError,
    TxConnectionRefusedError,
    ConnectionRefusedError,
    CannotResolveHostError,
    DNSLookupError,
    NoRouteError,
)
_REASONS: list[tuple[tuple[type[BaseException], ...], str]] = [
    (
        (DownloadConnectionRefusedError, TxConnectionRefusedError, ConnectionRefusedError),
        "connection refused",
    ),
    ((CannotResolveHostError, DNSLookupError), "DNS lookup failed"),
    ((NoRouteError,), "no route to host"),
    ((DownloadTimeoutError, TxTimeoutError, TCPTimedOutError, TimeoutError), "timed out"),
    (
        (
            DownloadFailedError,
            ResponseFailed,
            ResponseNeverReceived,
            ConnectionLost,
            ConnectionDone,
        ),
        "connection lost",
    ),
    ((ConnectError,), "connection failed"),
]


def failure_reason(error: BaseException) -> str:
    """A few words for why a request got no response: ``connection refused``, ``timed out``,
    ``DNS lookup failed``…; else the error's own first line."""
    for kinds, reason in _REASONS:
        if isinstance(error, kinds):
            return reason
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def host_of(url: str) -> str:
    """The host (with its port when not the scheme's default) of ``url``."""
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url


def note_failure(stats: Any, url: str, reason: str) -> str:
    """Count a failed listing request against its host; returns the host."""
    host = host_of(url)
    stats.inc_value(FAILED + host)
    stats.set_value(REASON + host, reason)
    return host


def unreachable_hosts(stats: dict[str, Any]) -> dict[str, str]:
    """The hosts that listing requests failed to reach and that never answered, with why."""
    return {
        host: str(stats.get(REASON + host, "no response"))
        for key in sorted(stats)
        if key.startswith(FAILED) and not stats.get(ANSWERED + (host := key[len(FAILED) :]))
    }


class ReachMiddleware:
    """Notes every host that answered, with any status, to any request."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReachMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(ANSWERED + host_of(request.url))
        return response
