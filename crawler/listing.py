"""One listing layer for every paged source.

A site (crawler/sites/) declares how to ask for a page of a query and how to read a page and a
row. ``Listing`` does the rest, the same way for every site: paging from the first page's total,
repeated-page detection, a check that every row has the fields the site promises (a field renamed
or gone from every row closes the run with one line that names it), reconciling the rows received
with the total the site announced, and splitting a window whose rows the site's paging cannot
reach. A query that could not be listed whole marks its window failed, so neither the backfill
nor the watermark passes it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.spiders.guards import RepeatedPages
from crawler.titles import is_ir_record_title

if TYPE_CHECKING:
    from crawler.items import RecordItem
    from crawler.spiders.base import RecordSpider

Window = tuple[date, date]
Fields = tuple[str | tuple[str, ...], ...]  # a tuple entry: any one of these names will do


class UnusableReply(ValueError):
    """A listing reply that is not the page it should be (a block page, not JSON, no rows)."""


@dataclass(frozen=True)
class Query:
    """What one paged listing is asked: a window, and optionally a stock, a search key and
    whatever else the site needs to narrow it (``scope``: an orgId, a uid, an event type)."""

    window: Window
    stock: str | None = None
    key: str = ""
    scope: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = [f"{self.window[0]}~{self.window[1]}", self.stock or "", self.key, *self.scope]
        return " ".join(p for p in parts if p)

    def halves(self) -> tuple[Query, Query]:
        start, end = self.window
        middle = start + timedelta(days=(end - start).days // 2)
        first = Query((start, middle), self.stock, self.key, self.scope)
        return first, Query((middle + timedelta(days=1), end), self.stock, self.key, self.scope)


@dataclass
class Page:
    """One page as the site answered it."""

    rows: list[Any]
    total: int | None = None  # rows of the whole query, as the site says
    pages: int | None = None  # pages of the whole query, as the site says
    more: bool = False  # the site says a next page exists (a feed, or a total that undercounts)


class Site:
    """What a site declares; subclasses set the attributes and implement the methods."""

    name = ""  # the site: stats prefix, and the id prefix when it is not the spider's own
    first_page = 1
    page_size = 0
    max_pages: int | None = None  # pages past this are not served: split the window instead
    row_fields: Fields = ()  # every row has these; one missing from every row is a shape change

    def __init__(self, spider: RecordSpider):
        self.spider = spider
        self.listing = Listing(spider, self)

    @property
    def settings(self) -> Any:
        return self.spider.settings

    def start(self) -> Iterator[scrapy.Request]:
        """The run's first requests: the first page of each query (or what resolves them)."""
        raise NotImplementedError

    def page_request(self, query: Query, page: int) -> scrapy.Request:
        """The request for ``page`` of ``query``; the listing sets its callbacks."""
        raise NotImplementedError

    def read_page(self, response: Response, query: Query, page: int) -> Page:
        """The page in ``response``; raises UnusableReply when it is not one."""
        raise NotImplementedError

    def row_id(self, row: dict[str, Any]) -> str | None:
        raise NotImplementedError

    def row_output(self, row: Any, query: Query) -> Any:
        """The item (or the request that leads to it) of one row, or None to skip the row; a
        skipped row is counted and logged here, where the reason is known."""
        raise NotImplementedError

    def recover(self, response: Response, query: Query, page: int) -> scrapy.Request | None:
        """A request that may still get ``page`` after an unusable reply (e.g. after fetching a
        cookie again), or None to fail the page."""
        return None

    def source_id(self, site_id: str) -> str:
        """The record id: the site's own id, prefixed by the site on a spider it is not home to
        (two sites' ids may collide within one source)."""
        home = self.spider.sites[0] is self if self.spider.sites else True
        return site_id if home else f"{self.name}-{site_id}"

    def wanted(self, site_id: str, title: str, *, listed_as_record: bool = False) -> bool:
        """Whether the row ``site_id`` is a record to archive: its ``title`` is an IR record's
        (a row whose title is not is counted) and the run has not seen it yet."""
        if not is_ir_record_title(title, listed_as_record=listed_as_record):
            self.count("not_ir_record_titles")
            return False
        return self.spider.first_sighting(f"{self.name}:{site_id}")

    def record_item(self, site_id: str, **fields: Any) -> RecordItem:
        """The spider's item of the row ``site_id``, listed on this site."""
        return self.spider.record_item(self.source_id(site_id), site=self.name, **fields)

    def count(self, what: str) -> None:
        self.spider.crawler.stats.inc_value(f"{self.spider.name}/{what}")


@dataclass
class _Progress:
    """One query's pages: which are still expected, what the site announced, what came."""

    pending: set[int] = field(default_factory=set)
    last: int = 0  # the highest page requested
    total: int | None = None
    ids: set[str] = field(default_factory=set)
    failed: bool = False


class Listing:
    """Pages through a site's queries; see the module's docstring."""

    def __init__(self, spider: RecordSpider, site: Site):
        self.spider, self.site = spider, site
        self.repeats = RepeatedPages()
        self.progress: dict[Query, _Progress] = {}

    def first(self, query: Query) -> scrapy.Request:
        progress = self.progress.setdefault(query, _Progress())
        progress.pending.add(self.site.first_page)
        progress.last = self.site.first_page
        return self.request(query, self.site.first_page)

    def request(self, query: Query, page: int) -> scrapy.Request:
        request = self.site.page_request(query, page)
        return request.replace(
            callback=self.parse,
            errback=self.failed,
            cb_kwargs={"window": query.window, "page": page, "query": query},
            dont_filter=True,
        )

    def parse(self, response: Response, window: Window, page: int, query: Query) -> Iterator[Any]:
        site, progress = self.site, self.progress[query]
        try:
            result = site.read_page(response, query, page)
        except UnusableReply as exc:
            if (retry := site.recover(response, query, page)) is not None:
                yield retry
                return
            self.page_failed(query, page, f"{site.name} page {page} of {query}: {exc}")
            return
        self.check_shape(result.rows, response.url)
        ids = [site.row_id(row) or "" if isinstance(row, dict) else "" for row in result.rows]
        if (earlier := self.repeats.earlier_page(query, page, ids)) is not None:
            self.spider.crawler.stats.inc_value(f"{self.spider.name}/repeated_pages")
            self.page_failed(
                query,
                page,
                f"{site.name} page {page} of {query} repeats page {earlier} (paging ignored)",
            )
            return
        if page == site.first_page:
            if self.too_many(result, query):
                del self.progress[query]
                self.spider.crawler.stats.inc_value(f"{self.spider.name}/windows_split")
                yield from (self.first(half) for half in query.halves())
                return
            progress.total = self.reachable(result.total)
            yield from self.more_pages(query, progress, self.page_count(result))
        if result.more and page == progress.last:
            yield from self.more_pages(query, progress, page - site.first_page + 2)
        progress.ids.update(i for i in ids if i)
        for row in result.rows:
            out = site.row_output(row, query)
            if out is not None:
                yield out
        progress.pending.discard(page)
        self.settle(query)

    def page_count(self, result: Page) -> int:
        if result.pages is not None:
            return result.pages
        if result.total is not None and self.site.page_size:
            return math.ceil(result.total / self.site.page_size)
        return 1

    def too_many(self, result: Page, query: Query) -> bool:
        """True when the site cannot page through all the rows and the window can be split;
        a single day with more rows than paging reaches is reported, not split."""
        site = self.site
        if site.max_pages is None or result.total is None:
            return False
        if result.total <= site.page_size * site.max_pages:
            return False
        if query.window[0] < query.window[1]:
            return True
        self.spider.crawler.stats.inc_value(f"{self.spider.name}/uncovered_days")
        self.spider.logger.error(
            "%s has %d rows on %s but paging reaches only %d: the rest are not listed",
            query,
            result.total,
            site.name,
            site.page_size * site.max_pages,
        )
        self.spider.window_failed(query.window)
        return False

    def reachable(self, total: int | None) -> int | None:
        """The rows of ``total`` the site's paging can reach."""
        site = self.site
        if total is None or site.max_pages is None:
            return total
        return min(total, site.page_size * site.max_pages)

    def more_pages(self, query: Query, progress: _Progress, count: int) -> Iterable[Any]:
        """Request pages up to the ``count``-th (within the site's paging) not yet requested."""
        site = self.site
        last = site.first_page + count - 1
        if site.max_pages is not None:
            last = min(last, site.first_page + site.max_pages - 1)
        for page in range(progress.last + 1, last + 1):
            progress.pending.add(page)
            progress.last = page
            yield self.request(query, page)

    def check_shape(self, rows: list[Any], url: str) -> None:
        """Close the run when the rows lost a field every row must have: the site changed."""
        if not rows:
            return
        if not any(isinstance(row, dict) for row in rows):
            raise CloseSpider(
                f"{self.site.name} listing changed shape: rows are not objects ({url})"
            )
        for wanted in self.site.row_fields:
            names = wanted if isinstance(wanted, tuple) else (wanted,)
            if not any(isinstance(row, dict) and any(n in row for n in names) for row in rows):
                raise CloseSpider(
                    f"{self.site.name} listing changed shape: no '{'/'.join(names)}' in any of "
                    f"{len(rows)} rows ({url})"
                )

    def failed(self, failure: Failure) -> None:
        """Errback: the page is lost (an HTTP error, or a host not reached after retries)."""
        request = failure.request  # type: ignore[attr-defined]
        query, page = request.cb_kwargs["query"], request.cb_kwargs["page"]
        self.spider.listing_failed(failure)
        self.page_failed(query, page, None)

    def page_failed(self, query: Query, page: int, problem: str | None) -> None:
        """A page of ``query`` could not be read: its window is not fully listed."""
        if problem:
            self.spider.crawler.stats.inc_value(f"{self.spider.name}/bad_listing_pages")
            self.spider.logger.error("Listing failed: %s", problem)
        progress = self.progress.setdefault(query, _Progress())
        progress.failed = True
        progress.pending.discard(page)
        self.spider.window_failed(query.window)
        self.settle(query)

    def settle(self, query: Query) -> None:
        """When the last page of ``query`` is in, compare the rows with the announced total."""
        progress = self.progress[query]
        if progress.pending:
            return
        del self.progress[query]
        if progress.failed or progress.total is None or len(progress.ids) >= progress.total:
            return
        self.spider.crawler.stats.inc_value(f"{self.spider.name}/short_listings")
        self.spider.logger.error(
            "Listing of %s on %s gave %d rows of the %d the site announced",
            query,
            self.site.name,
            len(progress.ids),
            progress.total,
        )
        self.spider.window_failed(query.window)
