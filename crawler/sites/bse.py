"""bse.cn's announcement list (``disclosureInfoController/companyAnnouncement.do``): JSONP,
0-based pages, searched with the IR title keys (or, with ``-a stock=``, by company alone) and kept
by title. Companies appear under their old (43/83/87…) and new (920…) codes; ``-a stock=`` matches
the code given, so give both.

The site answers the listing with a redirect to an HTML page until a visit to
``disclosure/announcement.html`` has set its cookie: that page is fetched first, and again
(a bounded number of times) whenever the listing answers with HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.listing import Page, Query, Site, UnusableReply
from crawler.spiders.base import SHANGHAI, exchange_of, shanghai_time
from crawler.titles import SEARCH_KEYS

BSE_MARKET = "2"  # xxfcbj of BSE-listed companies (NEEQ companies are 0 and 1)
COOKIE_VISITS = 3  # visits of the cookie page for one listing page before it counts as failed
_JSONP = re.compile(r"^\s*[\w$.]*\s*\((.*)\)\s*;?\s*$", re.S)
_UPLOADED = re.compile(r"^(\d{10})_")  # file names start with the upload's epoch seconds
FIELDS = (
    "companyCd",
    "companyName",
    "disclosureCode",
    "disclosureTitle",
    "disclosurePostTitle",
    "destFilePath",
    "publishDate",
    "xxfcbj",
    "fileExt",
    "xxzrlx",
)


def listing_page(body: str) -> Page:
    """The rows and counts of a bse.cn JSONP listing reply.

    Two shapes are known: ``cb({"data": {"content": [{"disclosures": [...]}], "totalPages"}})`` and
    the older ``cb([{"listInfo": {"content": [...], "totalPages", "totalElements"}}])``.
    """
    match = _JSONP.match(body)
    if not match:
        raise UnusableReply(f"not JSONP: {body[:200]!r}")
    try:
        payload = json.loads(match.group(1))
    except ValueError as exc:
        raise UnusableReply(f"JSONP without JSON inside: {exc}") from None
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        page = payload[0].get("listInfo")
    elif isinstance(payload, dict):
        page = payload.get("data")
    else:
        page = None
    if not isinstance(page, dict) or not isinstance(page.get("content"), list):
        raise UnusableReply(f"no listing in the reply: {str(payload)[:200]!r}")
    rows: list[Any] = []
    for entry in page["content"]:
        if isinstance(entry, dict) and isinstance(entry.get("disclosures"), list):
            rows.extend(entry["disclosures"])
        else:
            rows.append(entry)
    total = page.get("totalElements")
    return Page(
        rows,
        total=total if isinstance(total, int) else None,
        pages=int(page.get("totalPages") or 0),
    )


def bse_id(row: dict[str, Any]) -> str | None:
    """``disclosureCode``, else the file name of ``destFilePath`` (unique per disclosure)."""
    if row.get("disclosureCode"):
        return str(row["disclosureCode"])
    path = row.get("destFilePath")
    return PurePosixPath(str(path)).stem if path else None


def published_time(row: dict[str, Any]) -> datetime | None:
    """When the row was published: ``publishDate``, at the upload time its file is named by
    when that falls on the same day, else at midnight. (``upDate`` is when the row was last
    edited, not when it was published.)"""
    try:
        day = date.fromisoformat(str(row.get("publishDate"))[:10])
    except ValueError:
        return None
    if m := _UPLOADED.match(PurePosixPath(str(row.get("destFilePath") or "")).name):
        uploaded = shanghai_time(int(m.group(1)) * 1000)
        if uploaded.date() == day:
            return uploaded
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


class BseListing(Site):
    name = "bse"
    first_page = 0
    page_size = 20
    row_fields = ("companyCd", "publishDate", "destFilePath", "disclosureTitle")

    def __init__(self, spider: Any):
        super().__init__(spider)
        self.cookie_visits: dict[tuple[Query, int], int] = {}

    @property
    def base_url(self) -> str:
        return self.settings.get("BSE_BASE_URL").rstrip("/")

    def start(self) -> Iterator[scrapy.Request]:
        queries = [
            Query(window, code, key)
            for window in self.spider.walk.todo()
            for code, key in [(code, "") for code in self.spider.stocks]
            or [(None, key) for key in SEARCH_KEYS]
        ]
        yield self.cookie_request(lambda: (self.listing.first(q) for q in queries))

    def cookie_request(self, then: Callable[[], Iterable[Any]]) -> scrapy.Request:
        """Visit the announcement page (its reply sets the site's cookie), then ``then()``. A
        visit that fails is only a warning: the listing itself says whether the cookie was
        needed."""

        def visited(response: Response) -> Iterable[Any]:
            return then()

        def not_visited(failure: Failure) -> Iterable[Any]:
            self.count("cookie_page_failures")
            self.spider.logger.warning("bse.cn cookie page: %s", failure.getErrorMessage())
            return then()

        return scrapy.Request(
            self.base_url + "/disclosure/announcement.html",
            callback=visited,
            errback=not_visited,
            dont_filter=True,
        )

    def recover(self, response: Response, query: Query, page: int) -> scrapy.Request | None:
        """An HTML answer means the cookie is missing or stale: fetch it again and retry."""
        if b"<html" not in response.body[:2000].lower():
            return None
        visits = self.cookie_visits[(query, page)] = self.cookie_visits.get((query, page), 0) + 1
        if visits >= COOKIE_VISITS:
            return None
        self.count("cookie_refreshes")
        return self.cookie_request(lambda: [self.listing.request(query, page)])

    def page_request(self, query: Query, page: int) -> scrapy.Request:
        form = [
            ("page", str(page)),
            ("companyCd", query.stock or ""),
            ("isNewThree", "1"),
            ("startTime", query.window[0].isoformat()),
            ("endTime", query.window[1].isoformat()),
            ("keyword", query.key),
            ("xxfcbj[]", BSE_MARKET),
            *(("needFields[]", name) for name in FIELDS),
            ("sortfield", ""),
            ("sorttype", ""),
        ]
        return scrapy.FormRequest(
            self.base_url + "/disclosureInfoController/companyAnnouncement.do?callback=jsonp",
            formdata=form,
            headers={
                "X-Requested-With": "XMLHttpRequest",
                "Referer": self.base_url + "/disclosure/announcement.html",
            },
        )

    def read_page(self, response: Response, query: Query, page: int) -> Page:
        try:
            return listing_page(response.text)
        except AttributeError:  # not text at all
            raise UnusableReply(f"not JSONP: {response.body[:200]!r}") from None

    def row_id(self, row: dict[str, Any]) -> str | None:
        return bse_id(row)

    def row_output(self, row: Any, query: Query) -> Any:
        spider, window = self.spider, query.window
        site_id = bse_id(row) if isinstance(row, dict) else None
        if not site_id or not all(row.get(k) for k in ("companyCd", "publishDate", "destFilePath")):
            self.count("malformed_rows")
            spider.logger.warning("Skipping a bse.cn row without id, code, file or date: %r", row)
            return None
        code = str(row["companyCd"])
        market = str(row.get("xxfcbj") or BSE_MARKET)
        if (
            (query.stock and code != query.stock)
            or exchange_of(code) != "BSE"
            or market != BSE_MARKET
        ):
            self.count("foreign_rows")
            spider.logger.warning(
                "Skipping bse.cn row %s of %s (market %s): asked for %s",
                site_id,
                code,
                market,
                query.stock or "BSE companies",
            )
            return None
        published = published_time(row)
        if published is None or not window[0] <= published.date() <= window[1]:
            self.count("out_of_window_rows")
            spider.logger.warning(
                "Skipping bse.cn row %s: published %s, outside %s~%s",
                site_id,
                row.get("publishDate"),
                *window,
            )
            return None
        title = str(row.get("disclosureTitle") or "").strip()
        if not self.wanted(site_id, title):
            return None
        return self.record_item(
            site_id,
            stock_code=code,
            stock_name=row.get("companyName"),
            title=title + str(row.get("disclosurePostTitle") or ""),
            published_at=published.isoformat(),
            file_url=self.base_url + "/" + str(row["destFilePath"]).lstrip("/"),
            file_type_declared=str(row.get("fileExt") or "").upper() or None,
        )
