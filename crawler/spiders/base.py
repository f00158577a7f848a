"""What every source's spider shares: date-window and stock arguments, ids seen in the run,
and building record items."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import clock
from crawler.backfill import WindowWalk
from crawler.clock import SHANGHAI
from crawler.items import RecordItem
from crawler.reach import failure_reason, note_failure
from pipelines.index import LISTING_FIELDS
from pipelines.state import read_watermark
from pipelines.storage import crawler_archive

if TYPE_CHECKING:
    from crawler.listing import Site, Window

EARLIEST = date(1990, 12, 1)  # no A-share record is older than the exchanges

_STOCK_CODE = re.compile(r"^\d{6}$")


class ArgumentError(ValueError):
    """A spider argument is wrong; the message says which and how to fix it."""


def parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ArgumentError(f"-a {name}={value!r}: expected a date as YYYY-MM-DD") from None


def parse_stocks(value: str | None) -> list[str]:
    """``"000001,300418"`` -> ``["000001", "300418"]``; every code must be six digits."""
    if not value:
        return []
    codes = [code.strip() for code in re.split(r"[,;\s]+", value) if code.strip()]
    bad = [code for code in codes if not _STOCK_CODE.match(code)]
    if bad:
        raise ArgumentError(f"-a stock={value!r}: not six-digit stock codes: {', '.join(bad)}")
    return list(dict.fromkeys(codes))


def exchange_of(code: str) -> str | None:
    """The exchange of an A-share code by its prefix."""
    if code.startswith(("0", "2", "3")):
        return "SZSE"
    if code.startswith(("6", "9")) and not code.startswith("92"):
        return "SSE"
    if code.startswith(("4", "8", "92")):
        return "BSE"
    return None


def shanghai_time(epoch_ms: int | float) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, SHANGHAI)


class RecordSpider(scrapy.Spider):
    """Base of every source's spider.

    Arguments: ``-a start=YYYY-MM-DD -a end=YYYY-MM-DD`` (inclusive, Asia/Shanghai) and
    ``-a stock=000001,300418`` (optional). Without dates the run is a scheduled one: from the
    archive's watermark less SCHEDULE_OVERLAP_DAYS to today, or yesterday to today before the
    first; "today" is crawler/clock.py's (CRAWL_NOW pins it). A long range is walked in windows
    (``self.walk``, see crawler/backfill.py).

    A spider is its sites (crawler/sites/; ``make_sites`` lists them, its home site first) and
    an identity of its own: every record it yields, whichever site listed it, is of ``source``
    (the spider's name), and is indexed and watermarked under it.
    """

    def __init__(
        self,
        start: str | None = None,
        end: str | None = None,
        stock: str | None = None,
        **kwargs: Any,
    ):
        if unknown := [name for name in kwargs if not name.startswith("_")]:
            # scrapyd passes _job; anything else is a misspelt or unsupported -a argument
            raise ArgumentError(
                f"-a {unknown[0]}=: unknown argument (the arguments are start, end and stock)"
            )
        if end and not start:
            raise ArgumentError(
                f"-a end={end} needs -a start= too (or neither, for a scheduled run)"
            )
        super().__init__(**kwargs)
        self.start_arg = parse_day(start, "start") if start else None
        self.end_arg = parse_day(end, "end") if end else None
        self.stocks = parse_stocks(stock)
        self.scheduled = start is None and end is None
        self._seen: set[str] = set()
        self.sites: list[Site] = []

    @property
    def source(self) -> str:
        return self.name

    def make_sites(self) -> list[Site]:
        """The sites this spider lists, its home site first."""
        raise NotImplementedError

    async def start(self) -> AsyncIterator[Any]:
        for site in self.sites:
            for request in site.start():
                yield request

    def fetch_again(self, record: dict[str, Any]) -> Any:
        """The item (or request) that fetches a failed record's original again, rebuilt from
        what the record kept of its listing; None when it names no file."""
        if not record.get("file_url"):
            return None
        fields = {k: record[k] for k in LISTING_FIELDS if record.get(k) is not None}
        return self.record_item(fields.pop("source_id"), **fields)

    def window_failed(self, window: Window) -> None:
        """A listing of ``window`` failed: neither the backfill nor the watermark may pass it."""
        self.walk.window_failed(window)

    def plan_dates(self, today: date) -> None:
        """The run's days: the arguments, or yesterday and today by the crawl's clock."""
        self.start_date = self.start_arg or today - timedelta(days=1)
        self.end_date = self.end_arg or today
        if self.start_date > self.end_date:
            raise ArgumentError(f"start {self.start_date} is after end {self.end_date}")
        if self.start_date < EARLIEST:
            raise ArgumentError(f"start {self.start_date} is before {EARLIEST}: no records exist")
        if self.end_date > today + timedelta(days=1):
            raise ArgumentError(f"end {self.end_date} is in the future (today is {today})")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        try:
            today = clock.today(crawler.settings)
        except clock.ClockError as exc:
            raise ArgumentError(str(exc)) from None
        spider.plan_dates(today)
        store = crawler_archive(crawler)
        if spider.scheduled and (through := read_watermark(store, spider.name)):
            overlap = timedelta(days=crawler.settings.getint("SCHEDULE_OVERLAP_DAYS", 3))
            spider.start_date = min(through - overlap, spider.end_date)
            spider.logger.info(
                "Scheduled run from %s (watermark %s less %s of overlap) to %s",
                spider.start_date,
                through,
                overlap,
                spider.end_date,
            )
        spider.walk = WindowWalk.plan(
            crawler, store, spider.name, spider.start_date, spider.end_date, spider.stocks
        )
        spider.sites = spider.make_sites()
        return spider

    def first_sighting(self, source_id: str) -> bool:
        """True the first time a record id is seen in this run, so each is archived once."""
        if source_id in self._seen:
            self.crawler.stats.inc_value(f"{self.name}/duplicate_rows")
            return False
        self._seen.add(source_id)
        return True

    def load_json(self, response: Response, what: str, log: bool = True) -> Any:
        """The JSON of a reply, or None (logged as an error unless ``log`` is false) when it is
        not JSON."""
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError):
            if log:
                self.listing_error(response, f"the {what} is not JSON: {response.body[:200]!r}")
            return None

    def listing_error(self, response: Response, problem: str) -> None:
        """A listing reply we cannot use: say so loudly and go on with the rest of the crawl."""
        self.crawler.stats.inc_value(f"{self.name}/bad_listing_pages")
        self.logger.error(
            "Unusable reply from %s (HTTP %s): %s", response.url, response.status, problem
        )

    def listing_failed(self, failure: Failure) -> None:
        """Errback of listing requests: an HTTP error is an unusable reply; a connection that
        failed (after its retries) is counted against the host, with the reason, so a run that
        never reached a host ends with ``cannot reach <host>: <reason>`` (see crawler/reach.py)."""
        if failure.check(HttpError):
            self.listing_error(failure.value.response, "the listing answered with an HTTP error")
            return
        if failure.check(IgnoreRequest):
            return  # dropped on purpose by a middleware, as without an errback
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure.value)
        host = note_failure(self.crawler.stats, request.url, reason)
        self.crawler.stats.inc_value(f"{self.name}/failed_listing_requests")
        self.logger.error("Listing %s failed: cannot reach %s: %s", request.url, host, reason)

    def record_item(self, source_id: str, **fields: Any) -> RecordItem:
        """An item of this spider's source; ``site`` says where it was listed."""
        code = fields.get("stock_code") or ""
        fields.setdefault("exchange", exchange_of(code))
        return RecordItem(**{**fields, "source": self.source, "source_id": str(source_id)})
