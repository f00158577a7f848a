"""上证e互动 company postings (``type=30``): SSE and STAR companies' IR records, newest first.

The feed shows only about a month: the whole market's (``ajax/feeds.do``), or with ``-a stock=``
each company's own (``ajax/userfeeds.do``, uid from ``ajax/getCompany.do``). Each posting, an
HTML fragment, is read into a row; the feed is paged until a posting is older than the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler import clock
from crawler.listing import Page, Query, Site, UnusableReply
from crawler.spiders.base import SHANGHAI, exchange_of

END_OF_FEED = "暂时没有"  # "暂时没有上市公司发布…": past the last page
_CODE_IN_TEXT = re.compile(r"[(（](\d{6})[)）]")
_CODE_IN_IMAGE = re.compile(r"/(\d{6})\.(?:png|jpe?g|gif)", re.I)
_ABSOLUTE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(\d{1,2}):(\d{2})")
_MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})日\s*(\d{1,2}):(\d{2})")
_CLOCK = re.compile(r"(今天|昨天|前天)\s*(\d{1,2}):(\d{2})")
_AGO = re.compile(r"(\d+)\s*(分钟|小时)前")


def feed_time(text: str, now: datetime) -> datetime | None:
    """The time of an e互动 posting: ``2024年05月09日 16:48``, ``05月09日 16:48``, ``昨天 16:48``,
    ``3小时前`` or ``5分钟前`` (relative ones against ``now``, Asia/Shanghai); None if none."""
    text = text.strip()
    if m := _ABSOLUTE.search(text):
        year, month, day, hour, minute = map(int, m.groups())
        return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
    if m := _MONTH_DAY.search(text):
        month, day, hour, minute = map(int, m.groups())
        return datetime(now.year, month, day, hour, minute, tzinfo=SHANGHAI)
    if m := _CLOCK.search(text):
        back = {"今天": 0, "昨天": 1, "前天": 2}[m.group(1)]
        day = now - timedelta(days=back)
        return day.replace(hour=int(m.group(2)), minute=int(m.group(3)), second=0, microsecond=0)
    if m := _AGO.search(text):
        unit = timedelta(minutes=1) if m.group(2) == "分钟" else timedelta(hours=1)
        return (now - int(m.group(1)) * unit).replace(second=0, microsecond=0)
    return None


def posting_row(posting: Selector, now: datetime) -> dict[str, Any]:
    """The fields of one posting; a field the markup no longer has is left out."""
    row: dict[str, Any] = {}
    if item_id := (posting.attrib.get("id") or "").removeprefix("item-"):
        row["id"] = item_id
    link = posting.xpath(
        ".//div[contains(@class,'m_feed_txt')]//a[@href and not(starts-with(@href,'user.do'))]"
    )
    if link:
        row["href"] = link[0].attrib["href"].strip()
        row["title"] = " ".join(link[0].css("::text").getall()).strip()
    if when := feed_time(" ".join(posting.css("div.m_feed_from span::text").getall()), now):
        row["time"] = when
    logo = posting.css("div.m_feed_face img::attr(src)").get() or ""
    if m := _CODE_IN_IMAGE.search(logo) or _CODE_IN_TEXT.search(
        " ".join(posting.css("::text").getall())
    ):
        row["code"] = m.group(1)
    if name := (posting.css("div.m_feed_face p::text").get() or "").strip():
        row["name"] = name
    return row


class SseinfoFeed(Site):
    name = "sseinfo"
    first_page = 1
    page_size = 10
    max_pages = 500  # about a month of the whole market's postings is far fewer
    row_fields = ("id", "href", "time")

    @property
    def base_url(self) -> str:
        return self.settings.get("SSEINFO_BASE_URL").rstrip("/")

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Requested-With": "XMLHttpRequest", "Referer": self.base_url + "/"}

    @property
    def run_window(self) -> tuple[Any, Any]:
        return (self.spider.start_date, self.spider.end_date)

    def start(self) -> Iterator[scrapy.Request]:
        if not self.spider.stocks:
            yield self.listing.first(Query(self.run_window))
        for code in self.spider.stocks:
            yield scrapy.FormRequest(
                self.base_url + "/ajax/getCompany.do",
                formdata={"data": code},
                headers=self.headers,
                callback=self.parse_uid,
                errback=self.spider.listing_failed,
                cb_kwargs={"code": code},
                dont_filter=True,
            )

    def parse_uid(self, response: Response, code: str) -> Iterator[scrapy.Request]:
        """getCompany.do answers with the company's numeric uid, nothing else."""
        uid = response.text.strip()
        if not uid.isdigit():
            self.spider.listing_error(response, f"no e互动 uid for {code}: {response.body[:200]!r}")
            self.spider.window_failed(self.run_window)
            return
        yield self.listing.first(Query(self.run_window, code, scope=(uid,)))

    def page_request(self, query: Query, page: int) -> scrapy.Request:
        if query.stock:
            params = f"typeCode=company&type=30&pageSize={self.page_size}&uid={query.scope[0]}"
            url = f"{self.base_url}/ajax/userfeeds.do?{params}&page={page}"
        else:
            params = f"type=30&pageSize={self.page_size}&lastid=-1&show=1"
            url = f"{self.base_url}/ajax/feeds.do?{params}&page={page}"
        return scrapy.Request(url, headers=self.headers)

    def read_page(self, response: Response, query: Query, page: int) -> Page:
        text = response.text if isinstance(response, TextResponse) else ""
        postings = Selector(text=text or "<html></html>").css("div.m_feed_item")
        if not postings:
            if END_OF_FEED in text or (len(text.strip()) < 300 and "<title" not in text):
                return Page([])  # past the last page
            raise UnusableReply(f"no postings in the e互动 feed: {text[:200]!r}")
        now = clock.now(self.settings)
        rows = [posting_row(posting, now) for posting in postings]
        times = [row["time"].date() for row in rows if "time" in row]
        return Page(rows, more=not times or min(times) >= query.window[0])

    def row_id(self, row: dict[str, Any]) -> str | None:
        return row.get("id")

    def row_output(self, row: Any, query: Query) -> Any:
        spider = self.spider
        item_id, when = str(row.get("id") or ""), row.get("time")
        if not item_id.isdigit() or not row.get("href") or when is None:
            self.count("malformed_rows")
            spider.logger.warning("Skipping an e互动 posting without id, file or time: %s", item_id)
            return None
        code = row.get("code") or query.stock
        if (query.stock and code != query.stock) or (code and exchange_of(code) != "SSE"):
            self.count("foreign_rows")
            spider.logger.warning(
                "Skipping e互动 posting %s of %s: asked for %s", item_id, code, query.stock or "SSE"
            )
            return None
        if not query.window[0] <= when.date() <= query.window[1]:
            self.count("out_of_window_rows")
            return None
        title = row.get("title") or ""
        if not self.wanted(item_id, title):  # companies post other documents too
            return None
        url = row["href"]
        extension = url.rsplit("?", 1)[0].rsplit(".", 1)[-1] if "." in url else ""
        return self.record_item(
            item_id,
            stock_code=code,
            stock_name=row.get("name"),
            title=title,
            published_at=when.isoformat(),
            file_url=urljoin(self.base_url + "/", url),
            file_type_declared=extension.upper() or None,
        )
