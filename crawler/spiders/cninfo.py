"""cninfo 调研 tab (``hisAnnouncement/query``, ``tabName=relation``): SZSE companies' IR records.

The endpoint returns at most 30 rows a page and answers pages past 100 with page 1, so one query
reaches at most 3,000 rows: a window with more is split in halves, down to single days.

Subclasses read other tabs by class attributes: the full-text tab (every announcement) searched
with ``search_keys`` and kept by title, for the exchanges in ``exchanges`` (see sse.py, bse.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.items import RecordItem
from crawler.spiders.base import RecordSpider, exchange_of, shanghai_time
from crawler.spiders.titles import IR_RULES, is_ir_record_title

PAGE_SIZE = 30
MAX_PAGES = 100
_HIGHLIGHT = re.compile(r"</?em>")
_EXCHANGE_BY_COLUMN = {"SZ": "SZSE", "SH": "SSE", "BJ": "BSE"}
_FINALPAGE_DAY = re.compile(r"finalpage/(\d{4}-\d{2}-\d{2})/")
Window = tuple[date, date]


def publication_day(row: dict[str, Any], published: datetime) -> str:
    """The day cninfo published a row: its file's ``finalpage/<day>/`` folder. announcementTime
    can be the evening before (a 23:50 posting listed under the next day)."""
    match = _FINALPAGE_DAY.search(str(row.get("adjunctUrl") or ""))
    return match.group(1) if match else published.date().isoformat()


class CninfoSpider(RecordSpider):
    name = "cninfo"
    source = "cninfo"
    tab_name = "relation"
    column = "szse"
    plate = ""
    search_keys: tuple[str, ...] = ("",)  # one query per key (the form's searchkey)
    ir_titles_only = False  # keep only rows whose title is an IR record's (full-text tab)
    exchanges: frozenset[str] | None = None  # rows of other exchanges are foreign

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.cninfo_requests():
            yield request

    def cninfo_requests(self) -> Iterator[scrapy.Request]:
        if self.stocks:
            yield scrapy.Request(
                self.base_url + "/new/data/szse_stock.json",
                callback=self.parse_stock_list,
                errback=self.listing_failed,
            )
        else:
            for window in self.walk.todo():  # in date order; a resumed backfill skips some
                for key in self.search_keys:
                    yield self.query(window, None, 1, key=key)

    @property
    def base_url(self) -> str:
        return self.settings.get("CNINFO_BASE_URL").rstrip("/")

    @property
    def static_url(self) -> str:
        return self.settings.get("CNINFO_STATIC_URL").rstrip("/")

    # --- stock -> orgId

    def parse_stock_list(self, response: Response) -> Iterator[scrapy.Request]:
        """Resolve each requested code to its orgId from szse_stock.json; never guess one."""
        payload = self.load_json(response, "stock list")
        rows = payload.get("stockList") if isinstance(payload, dict) else payload
        if not isinstance(rows, list):
            raise CloseSpider(f"stock list {response.url} has no stockList: its format changed")
        org_ids = {
            row.get("code"): row.get("orgId")
            for row in rows
            if isinstance(row, dict) and row.get("code") and row.get("orgId")
        }
        unknown = [code for code in self.stocks if code not in org_ids]
        if unknown:
            raise CloseSpider(f"unknown stock code(s) on cninfo: {', '.join(unknown)}")
        for window in self.walk.todo():
            for code in self.stocks:
                for key in self.search_keys:
                    yield self.query(window, (code, org_ids[code]), 1, key=key)

    # --- listing

    def query(
        self,
        window: Window,
        stock: tuple[str, str] | None,
        page: int,
        last_page: int = 1,
        key: str = "",
    ) -> scrapy.FormRequest:
        start, end = window
        form = {
            "pageNum": str(page),
            "pageSize": str(PAGE_SIZE),
            "column": self.column,
            "tabName": self.tab_name,
            "plate": self.plate,
            "stock": ",".join(stock) if stock else "",
            "searchkey": key,
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
            callback=self.parse_page,
            errback=self.listing_failed,
            cb_kwargs={
                "window": window,
                "stock": stock,
                "page": page,
                "last_page": last_page,
                "key": key,
            },
        )

    def parse_page(
        self,
        response: Response,
        window: Window,
        stock: tuple[str, str] | None,
        page: int,
        last_page: int,
        key: str = "",
    ) -> Iterator[scrapy.Request | RecordItem]:
        payload = self.load_json(response, "listing")
        if not isinstance(payload, dict) or "announcements" not in payload:
            self.listing_error(response, f"no 'announcements' in the reply: {str(payload)[:200]!r}")
            return
        rows = payload.get("announcements") or []  # null when the window is empty
        if page == 1:
            total = int(payload.get("totalAnnouncement") or payload.get("totalRecordNum") or 0)
            if total > PAGE_SIZE * MAX_PAGES and window[0] < window[1]:
                yield from self.split(window, stock, key)
                return
            if total > PAGE_SIZE * MAX_PAGES:
                self.crawler.stats.inc_value(f"{self.name}/uncovered_days")
                self.logger.error(
                    "%s has %d records%s but paging reaches only %d: the rest are not crawled",
                    window[0],
                    total,
                    f" for {stock[0]}" if stock else "",
                    PAGE_SIZE * MAX_PAGES,
                )
            last_page = min(math.ceil(total / PAGE_SIZE), MAX_PAGES)
            for next_page in range(2, last_page + 1):
                yield self.query(window, stock, next_page, last_page, key)
        if payload.get("hasMore") and page >= last_page and page < MAX_PAGES:
            yield self.query(window, stock, page + 1, page + 1, key)  # totals undercounted rows
        for row in rows:
            item = self.item_from_row(row, stock, window)
            if item is not None:
                yield item

    def split(
        self, window: Window, stock: tuple[str, str] | None, key: str = ""
    ) -> Iterator[scrapy.Request]:
        start, end = window
        middle = start + timedelta(days=(end - start).days // 2)
        self.crawler.stats.inc_value(f"{self.name}/windows_split")
        yield self.query((start, middle), stock, 1, key=key)
        yield self.query((middle + timedelta(days=1), end), stock, 1, key=key)

    def item_from_row(
        self, row: Any, stock: tuple[str, str] | None, window: Window
    ) -> RecordItem | None:
        stats = self.crawler.stats
        if not isinstance(row, dict) or not all(
            row.get(key) for key in ("announcementId", "secCode", "adjunctUrl", "announcementTime")
        ):
            stats.inc_value(f"{self.name}/malformed_rows")
            self.logger.warning("Skipping a listing row without id, code, file or time: %r", row)
            return None
        code = str(row["secCode"])
        if stock and code != stock[0]:
            # The site is known to ignore filters and answer with the whole market.
            stats.inc_value(f"{self.name}/foreign_rows")
            self.logger.warning("Skipping %s: asked for %s only", row["announcementId"], stock[0])
            return None
        if self.exchanges and exchange_of(code) not in self.exchanges:
            stats.inc_value(f"{self.name}/foreign_rows")
            self.logger.warning(
                "Skipping %s: %s is not on %s", row["announcementId"], code, sorted(self.exchanges)
            )
            return None
        published = shanghai_time(row["announcementTime"])
        # announcementTime may fall on the evening before the publication day that seDate filters
        # on, so only a row more than a day outside the window is someone else's.
        if not window[0] - timedelta(days=1) <= published.date() <= window[1] + timedelta(days=1):
            stats.inc_value(f"{self.name}/out_of_window_rows")
            self.logger.warning(
                "Skipping %s: published %s, outside %s~%s",
                row["announcementId"],
                published.date(),
                *window,
            )
            return None
        title = _HIGHLIGHT.sub("", row.get("announcementTitle") or "").strip()
        if IR_RULES.search(title):
            stats.inc_value(f"{self.name}/ir_rules_skipped")
            return None
        if self.ir_titles_only and not is_ir_record_title(title):
            stats.inc_value(f"{self.name}/not_ir_record_titles")
            return None
        source_id = str(row["announcementId"])
        if not self.first_sighting(f"cninfo:{source_id}"):
            return None
        org_id = row.get("orgId") or (stock[1] if stock else None)
        column = str(row.get("pageColumn") or "")[:2]
        extra = {"exchange": _EXCHANGE_BY_COLUMN[column]} if column in _EXCHANGE_BY_COLUMN else {}
        return self.record_item(
            source_id,
            source="cninfo",
            stock_code=code,
            stock_name=row.get("secName"),
            org_id=org_id,
            title=title,
            published_at=published.isoformat(),
            file_url=f"{self.static_url}/{str(row['adjunctUrl']).lstrip('/')}",
            file_type_declared=row.get("adjunctType"),
            detail_url=(
                f"{self.base_url}/new/disclosure/detail?stockCode={code}&announcementId={source_id}"
                f"&orgId={org_id or ''}&announcementTime={publication_day(row, published)}"
            ),
            **extra,
        )
