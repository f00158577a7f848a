"""cninfo's announcement query (``hisAnnouncement/query``): its 调研 tab (``relation``, SZSE
companies' IR records) and its full-text tab (every announcement, searched by key and kept by
title; SSE and BSE companies' records).

The endpoint returns at most 30 rows a page and answers pages past 100 (``CNINFO_MAX_PAGES``) with
page 1, so one query reaches at most 3,000 rows: the listing layer splits a window with more.
With ``-a stock=`` the code is first resolved to its orgId (``szse_stock.json``), and the
full-text tab is asked for the stock alone: a key would miss records whose titles lack it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.listing import Page, Query, Site, UnusableReply
from crawler.spiders.base import exchange_of, shanghai_time
from crawler.titles import SEARCH_KEYS

_HIGHLIGHT = re.compile(r"</?em>")
_EXCHANGE_BY_COLUMN = {"SZ": "SZSE", "SH": "SSE", "BJ": "BSE"}
_FINALPAGE_DAY = re.compile(r"finalpage/(\d{4}-\d{2}-\d{2})/")


def publication_day(row: dict[str, Any], published: datetime) -> str:
    """The day cninfo published a row: its file's ``finalpage/<day>/`` folder. announcementTime
    can be the evening before (a 23:50 posting listed under the next day)."""
    match = _FINALPAGE_DAY.search(str(row.get("adjunctUrl") or ""))
    return match.group(1) if match else published.date().isoformat()


class CninfoListing(Site):
    """One tab of cninfo's query for the exchanges in ``exchanges`` (None: any)."""

    name = "cninfo"
    first_page = 1
    page_size = 30
    row_fields = ("announcementId", "secCode", "adjunctUrl", "announcementTime")

    def __init__(
        self,
        spider: Any,
        tab: str = "relation",
        column: str = "szse",
        plate: str = "",
        exchanges: frozenset[str] | None = None,
    ):
        super().__init__(spider)
        self.tab, self.column, self.plate, self.exchanges = tab, column, plate, exchanges
        self.full_text = tab == "fulltext"

    @property
    def max_pages(self) -> int:  # type: ignore[override]
        return self.settings.getint("CNINFO_MAX_PAGES", 100)

    @property
    def base_url(self) -> str:
        return self.settings.get("CNINFO_BASE_URL").rstrip("/")

    @property
    def static_url(self) -> str:
        return self.settings.get("CNINFO_STATIC_URL").rstrip("/")

    def start(self) -> Iterator[scrapy.Request]:
        if self.spider.stocks:
            yield scrapy.Request(
                self.base_url + "/new/data/szse_stock.json",
                callback=self.parse_stock_list,
                errback=self.spider.listing_failed,
                dont_filter=True,
            )
            return
        keys = SEARCH_KEYS if self.full_text else ("",)
        for window in self.spider.walk.todo():  # in date order; a resumed backfill skips some
            for key in keys:
                yield self.listing.first(Query(window, key=key))

    def parse_stock_list(self, response: Response) -> Iterator[scrapy.Request]:
        """Resolve each requested code to its orgId from szse_stock.json; never guess one."""
        payload = self.spider.load_json(response, "stock list")
        rows = payload.get("stockList") if isinstance(payload, dict) else payload
        if not isinstance(rows, list):
            raise CloseSpider(f"stock list {response.url} has no stockList: its format changed")
        org_ids = {
            row.get("code"): row.get("orgId")
            for row in rows
            if isinstance(row, dict) and row.get("code") and row.get("orgId")
        }
        unknown = [code for code in self.spider.stocks if code not in org_ids]
        if unknown:
            raise CloseSpider(f"unknown stock code(s) on cninfo: {', '.join(unknown)}")
        for window in self.spider.walk.todo():
            for code in self.spider.stocks:
                yield self.listing.first(Query(window, code, scope=(org_ids[code],)))

    def page_request(self, query: Query, page: int) -> scrapy.Request:
        start, end = query.window
        stock = f"{query.stock},{query.scope[0]}" if query.stock else ""
        form = {
            "pageNum": str(page),
            "pageSize": str(self.page_size),
            "column": self.column,
            "tabName": self.tab,
            "plate": self.plate,
            "stock": stock,
            "searchkey": query.key,
            "secid": "",
            "category": "",
            "trade": "",
            "seDate": f"{start.isoformat()}~{end.isoformat()}",
            "sortName": "",
            "sortType": "",
            "isHLtitle": "true",
        }
        return scrapy.FormRequest(
            self.base_url + "/new/hisAnnouncement/query",
            formdata=form,
            headers={
                "Accept": "application/json, text/javascript, */*; q=0.01",
                "X-Requested-With": "XMLHttpRequest",
                "Origin": self.base_url,
                "Referer": self.base_url + "/new/commonUrl?url=disclosure/list/notice",
            },
        )

    def read_page(self, response: Response, query: Query, page: int) -> Page:
        payload = self.spider.load_json(response, "listing", log=False)
        if payload is None:
            raise UnusableReply(f"the reply is not JSON: {response.body[:200]!r}")
        if not isinstance(payload, dict) or "announcements" not in payload:
            raise UnusableReply(f"no 'announcements' in the reply: {response.body[:200]!r}")
        total = payload.get("totalAnnouncement", payload.get("totalRecordNum"))
        return Page(
            rows=payload.get("announcements") or [],  # null when the window is empty
            total=int(total) if isinstance(total, int | str) and str(total).isdigit() else None,
            more=bool(payload.get("hasMore")),
        )

    def row_id(self, row: dict[str, Any]) -> str | None:
        return str(row["announcementId"]) if row.get("announcementId") else None

    def row_output(self, row: Any, query: Query) -> Any:
        spider, window = self.spider, query.window
        if not isinstance(row, dict) or not all(row.get(k) for k in self.row_fields):
            self.count("malformed_rows")
            spider.logger.warning("Skipping a cninfo row without id, code, file or time: %r", row)
            return None
        site_id, code = str(row["announcementId"]), str(row["secCode"])
        if query.stock and code != query.stock:
            # The site is known to ignore filters and answer with the whole market.
            self.count("foreign_rows")
            spider.logger.warning("Skipping %s: asked for %s only", site_id, query.stock)
            return None
        if self.exchanges and exchange_of(code) not in self.exchanges:
            self.count("foreign_rows")
            spider.logger.warning(
                "Skipping %s: %s is not on %s", site_id, code, sorted(self.exchanges)
            )
            return None
        published = shanghai_time(row["announcementTime"])
        # announcementTime may fall on the evening before the publication day that seDate filters
        # on, so only a row more than a day outside the window is someone else's.
        if not window[0] - timedelta(days=1) <= published.date() <= window[1] + timedelta(days=1):
            self.count("out_of_window_rows")
            spider.logger.warning(
                "Skipping %s: published %s, outside %s~%s", site_id, published.date(), *window
            )
            return None
        title = _HIGHLIGHT.sub("", row.get("announcementTitle") or "").strip()
        if not self.wanted(site_id, title, listed_as_record=not self.full_text):
            return None
        org_id = row.get("orgId") or (query.scope[0] if query.scope else None)
        column = str(row.get("pageColumn") or "")[:2]
        extra = {"exchange": _EXCHANGE_BY_COLUMN[column]} if column in _EXCHANGE_BY_COLUMN else {}
        return self.record_item(
            site_id,
            stock_code=code,
            stock_name=row.get("secName"),
            org_id=org_id,
            title=title,
            published_at=published.isoformat(),
            file_url=f"{self.static_url}/{str(row['adjunctUrl']).lstrip('/')}",
            file_type_declared=row.get("adjunctType"),
            detail_url=(
                f"{self.base_url}/new/disclosure/detail?stockCode={code}&announcementId={site_id}"
                f"&orgId={org_id or ''}&announcementTime={publication_day(row, published)}"
            ),
            **extra,
        )
