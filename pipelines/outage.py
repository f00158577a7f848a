"""What the crawl does when the archive store goes away: it pauses and retries, it does not drop.

Every operation on the archive store (uploads of originals, records, digests, the index, state)
runs through ``StoreOutage.run``: an error that says the store is away for now (connection refused
or reset, a timeout, a 5xx or throttling reply, a full or failing disk) is retried with exponential
backoff (``STORE_RETRY_DELAY`` seconds doubling up to ``STORE_RETRY_MAX_DELAY``) for up to
``STORE_OUTAGE_MAX_SECONDS`` from the start of the outage. Any other error (no such bucket, access
denied, a file where a folder should be) is a configuration error and raised at once.

The first failure logs one line and pauses the downloads of every crawl using the store; the first
success of an operation started after it logs one line and unpauses them, and wakes every waiting
operation so they go on at once. When the outage outlasts its limit, one error line says so, the
crawls are stopped (the next run completes what is missing) and the operations still waiting, or
started afterwards, fail at once until the store answers again.

One ``StoreOutage`` is shared by every store object of the same archive in the process (the
pipelines' own stores and ``crawler_archive``), so an outage is noticed and reported once.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_MAX_SECONDS = 300.0
DEFAULT_DELAY = 1.0
DEFAULT_MAX_DELAY = 30.0

# S3 error codes of a store that is busy or failing for now (their HTTP status is 5xx or 429 too).
TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestLimitExceeded",
        "TooManyRequests",
        "TooManyRequestsException",
        "BandwidthLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "InternalError",
        "EC2ThrottledException",
    }
)
# Local (or mounted) folders: a full or failing disk, a lost NFS server.
TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ENOSPC",
        "EDQUOT",
        "EIO",
        "ESTALE",
        "ETIMEDOUT",
        "EAGAIN",
        "EBUSY",
        "ENETDOWN",
        "ENETUNREACH",
        "EHOSTDOWN",
        "EHOSTUNREACH",
        "ECONNREFUSED",
        "ECONNRESET",
        "ECONNABORTED",
    )
    if hasattr(errno, name)
)


class ArchiveError(RuntimeError):
    """The archive cannot be used (missing bucket, unreachable server, unwritable folder).

    Defined here, for StoreUnavailable; pipelines.storage is where the others import it from."""


class StoreUnavailable(ArchiveError):
    """The archive store stayed away longer than STORE_OUTAGE_MAX_SECONDS (before the crawl had
    started, too: then it stops with exit status 2 and this one line, as for a missing bucket)."""


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or wraps (botocore keeps the cause in
    ``kwargs['error']``), each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "kwargs", None)
        inner = wrapped.get("error") if isinstance(wrapped, dict) else None
        todo += [current.__cause__, current.__context__]
        if isinstance(inner, BaseException):
            todo.append(inner)


def outage_reason(exc: BaseException) -> str | None:
    """A short reason when ``exc`` says the store is away for now (worth waiting for); None when
    it is an error that waiting does not cure (4xx: no such bucket, access denied; a bad path)."""
    names = {type(e).__name__ for e in _chain(exc)}
    for e in _chain(exc):
        if isinstance(e, ConnectionRefusedError):
            return "connection refused"
        if isinstance(e, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
            return "connection reset"
        if isinstance(e, TimeoutError | socket.timeout):
            return "timed out"
    if names & {"ReadTimeoutError", "ConnectTimeoutError", "ReadTimeout", "ConnectTimeout"}:
        return "timed out"
    if names & {"ConnectionClosedError", "ProtocolError", "RemoteDisconnected", "IncompleteRead"}:
        return "connection reset"
    if names & {"EndpointConnectionError", "ProxyConnectionError", "NewConnectionError"}:
        return "cannot connect"
    if names & {"HTTPClientError", "ConnectionError"} and "ClientError" not in names:
        return "connection failed"
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "ClientError" in names:
        code = str((response.get("Error") or {}).get("Code") or "")
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0
        if code in TRANSIENT_CODES or status >= 500 or status == 429:
            return f"HTTP {status} {code}".strip() if status else code
        return None
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        return exc.strerror or errno.errorcode.get(exc.errno or 0, "I/O error")
    return None


def _engine(crawler: Any) -> Any:
    """The crawler's engine; None before the crawl has started (Scrapy 2.19 raises then)."""
    try:
        return crawler.engine
    except (AttributeError, RuntimeError):
        return None


def _on_reactor(call: Callable[[], Any]) -> None:
    """Run ``call`` in the reactor thread (engine methods are not thread-safe)."""
    from twisted.internet import reactor  # the crawl installed it already
    from twisted.python import threadable

    if threadable.isInIOThread():
        call()
    else:
        reactor.callFromThread(call)  # type: ignore[attr-defined]


class StoreOutage:
    """The retry policy of one archive store, and its outage state, shared by every object that
    talks to that store in the process."""

    _shared: ClassVar[dict[str, StoreOutage]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        name: str,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        delay: float = DEFAULT_DELAY,
        max_delay: float = DEFAULT_MAX_DELAY,
    ):
        self.name = name
        self.max_seconds = max_seconds
        self.delay = delay
        self.max_delay = max_delay
        self.state = threading.Condition()
        self.down_since: float | None = None  # time.monotonic() of the outage's first failure
        self.reason: str | None = None
        self.gave_up = False
        self.back_at = float("-inf")  # time.monotonic() of the end of the last outage
        self.outages = 0
        self.crawlers: weakref.WeakSet[Any] = weakref.WeakSet()

    @classmethod
    def shared(cls, name: str, settings: Any = None) -> StoreOutage:
        """The policy of the store ``name`` (its URI), configured from ``settings`` if given."""
        with cls._shared_lock:
            outage = cls._shared.get(name)
            if outage is None:
                outage = cls._shared[name] = cls(name)
        if settings is not None:
            outage.configure(settings)
        return outage

    def configure(self, settings: Any) -> None:
        self.max_seconds = settings.getfloat("STORE_OUTAGE_MAX_SECONDS", DEFAULT_MAX_SECONDS)
        self.delay = settings.getfloat("STORE_RETRY_DELAY", DEFAULT_DELAY)
        self.max_delay = settings.getfloat("STORE_RETRY_MAX_DELAY", DEFAULT_MAX_DELAY)

    def watch(self, crawler: Any) -> None:
        """Pause ``crawler``'s downloads during outages; stop it when one outlasts the limit."""
        self.crawlers.add(crawler)

    @property
    def away(self) -> bool:
        """Whether the store is away and still being waited for (not given up on)."""
        return self.down_since is not None and not self.gave_up

    async def until_back(self, poll: float = 0.25) -> None:
        """Wait (in the reactor, without a thread) while the store is away: an item's download
        waits too, instead of fetching a file that could not be archived."""
        while self.away:
            await asyncio.sleep(poll)

    # --- the policy ------------------------------------------------------------------------------

    def run(self, operation: Callable[[], T]) -> T:
        """``operation()``, retried while the store is away (blocking: call it in a thread)."""
        delay = self.delay
        while True:
            started = time.monotonic()
            try:
                result = operation()
            except Exception as exc:
                reason = outage_reason(exc)
                if reason is None:
                    raise
                self._wait(reason, delay, started, exc)
                delay = min(delay * 2, self.max_delay)
                continue
            self._succeeded(started)
            return result

    def _wait(self, reason: str, delay: float, started: float, exc: Exception) -> None:
        """Note a failure; wait before the next attempt, or raise StoreUnavailable."""
        with self.state:
            now = time.monotonic()
            if self.down_since is None and started < self.back_at:
                return  # an attempt of the outage that just ended: try again, as the others do
            if self.down_since is None:
                self.down_since, self.reason, self.gave_up = now, reason, False
                self.outages += 1
                logger.warning(
                    "archive store unreachable (%s): %sretrying for up to %s s",
                    reason,
                    "downloads paused, " if self.crawlers else "",  # reparse, export: none
                    f"{self.max_seconds:g}",
                )
                self._each_crawler(self._pause)
            if self.gave_up:
                raise StoreUnavailable(self._gave_up_message(reason)) from exc
            left = self.down_since + self.max_seconds - now
            if left <= 0:
                self.gave_up = True
                message = self._gave_up_message(reason)
                logger.error(
                    "%s: %s",
                    message,
                    "stopping the crawl; the next run completes what is missing"
                    if self.crawlers
                    else "giving up",
                )
                self._each_crawler(lambda crawler: self._stop(crawler, message))
                raise StoreUnavailable(message) from exc
            self.state.wait(min(delay, left))  # woken early when the store is back

    def _gave_up_message(self, reason: str) -> str:
        return f"archive store unreachable for {self.max_seconds:g} s: {reason}"

    def _succeeded(self, started: float) -> None:
        if self.down_since is None or started < self.down_since:
            return  # no outage, or an attempt made before it began: not a sign it is over
        with self.state:
            if self.down_since is None or started < self.down_since:
                return
            self.back_at = time.monotonic()
            took = self.back_at - self.down_since
            self.down_since, self.reason, self.gave_up = None, None, False
            logger.warning("archive store is back after %.0f s", took)
            self._each_crawler(lambda crawler: self._resume(crawler, took))
            self.state.notify_all()

    # --- the crawls ------------------------------------------------------------------------------

    def _each_crawler(self, action: Callable[[Any], None]) -> None:
        crawlers = [c for c in list(self.crawlers) if _engine(c) is not None]
        if crawlers:
            _on_reactor(lambda: [action(c) for c in crawlers])

    @staticmethod
    def _pause(crawler: Any) -> None:
        crawler.engine.pause()
        if crawler.stats is not None:
            crawler.stats.inc_value("archive/store_outages")

    @staticmethod
    def _resume(crawler: Any, took: float) -> None:
        engine = crawler.engine
        engine.unpause()
        if crawler.stats is not None:
            crawler.stats.inc_value("archive/store_outage_seconds", round(took, 1))
        slot = getattr(engine, "_slot", None)  # send the waiting requests now, not at the
        if slot is not None and slot.closing is None:  # engine's next heartbeat (5 s)
            slot.nextcall.schedule()

    @staticmethod
    def _stop(crawler: Any, reason: str) -> None:
        from scrapy.utils.defer import deferred_from_coro

        engine = crawler.engine
        if engine.spider is None or engine._slot is None or engine._slot.closing is not None:
            return
        engine.unpause()
        deferred_from_coro(engine.close_spider_async(reason=reason))
