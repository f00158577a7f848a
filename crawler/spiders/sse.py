"""SSE main board and STAR companies' IR records, from two sources:

- 上证e互动 company postings (``type=30``), HTML fragments; the feed shows only about a month, so
  this is the scheduled-crawl source. The whole market's feed (``ajax/feeds.do``), or with
  ``-a stock=`` each company's own (``ajax/userfeeds.do``, uid from ``ajax/getCompany.do``).
- cninfo's full-text tab searched for IR-record titles (the backfill source; see cninfo.py).

Originals are often DOCX; the archive stage finds the type from the bytes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from urllib.parse import urljoin

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler import clock
from crawler.items import RecordItem
from crawler.spiders.base import SHANGHAI, exchange_of
from crawler.spiders.cninfo import CninfoSpider
from crawler.spiders.titles import SEARCH_KEYS

FEED_PAGE_SIZE = 10
MAX_FEED_PAGES = 500  # about a month of the whole market's postings is far fewer
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


class SseSpider(CninfoSpider):
    name = "sse"
    source = "sseinfo"
    tab_name = "fulltext"
    column = "sse"
    plate = "sh"
    search_keys = SEARCH_KEYS
    ir_titles_only = True
    exchanges = frozenset({"SSE"})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.cninfo_requests():
            yield request
        if not self.stocks:
            yield self.feed_request(None, 1)
        for code in self.stocks:
            yield scrapy.FormRequest(
                self.sseinfo_url + "/ajax/getCompany.do",
                formdata={"data": code},
                headers=self.sseinfo_headers,
                callback=self.parse_uid,
                errback=self.listing_failed,
                cb_kwargs={"code": code},
            )

    @property
    def sseinfo_url(self) -> str:
        return self.settings.get("SSEINFO_BASE_URL").rstrip("/")

    @property
    def sseinfo_headers(self) -> dict[str, str]:
        return {"X-Requested-With": "XMLHttpRequest", "Referer": self.sseinfo_url + "/"}

    def parse_uid(self, response: Response, code: str) -> Iterator[scrapy.Request]:
        """getCompany.do answers with the company's numeric uid, nothing else."""
        uid = response.text.strip()
        if not uid.isdigit():
            self.listing_error(response, f"no e互动 uid for {code}: {response.body[:200]!r}")
            return
        yield self.feed_request((code, uid), 1)

    def feed_request(
        self, company: tuple[str, str] | None, page: int, seen: frozenset[str] = frozenset()
    ) -> scrapy.Request:
        """Page ``page`` of the postings feed: a company's ``(code, uid)`` or the whole market."""
        if company:
            query = f"typeCode=company&type=30&pageSize={FEED_PAGE_SIZE}&uid={company[1]}"
            url = f"{self.sseinfo_url}/ajax/userfeeds.do?{query}&page={page}"
        else:
            query = f"type=30&pageSize={FEED_PAGE_SIZE}&lastid=-1&show=1"
            url = f"{self.sseinfo_url}/ajax/feeds.do?{query}&page={page}"
        return scrapy.Request(
            url,
            headers=self.sseinfo_headers,
            callback=self.parse_feed,
            errback=self.listing_failed,
            cb_kwargs={"company": company, "page": page, "seen": seen},
        )

    def parse_feed(
        self,
        response: Response,
        company: tuple[str, str] | None,
        page: int,
        seen: frozenset[str],
    ) -> Iterator[scrapy.Request | RecordItem]:
        """Postings are newest first: page on until one is older than the window."""
        text = response.text if isinstance(response, TextResponse) else ""
        selector = Selector(text=text or "<html></html>")
        postings = selector.css("div.m_feed_item")
        if not postings:
            if END_OF_FEED in text or (len(text.strip()) < 300 and "<title" not in text):
                return  # past the last page
            self.listing_error(response, f"no postings in the e互动 feed: {text[:200]!r}")
            return
        ids = [(p.attrib.get("id") or "").removeprefix("item-") for p in postings]
        if all(i in seen for i in ids):
            self.crawler.stats.inc_value(f"{self.name}/repeated_pages")
            self.logger.error("e互动 page %s repeats earlier postings: %s", page, response.url)
            return
        now = clock.now(self.settings)
        oldest: date | None = None
        for posting in postings:
            item, published = self.item_from_posting(posting, company, now)
            if published and (oldest is None or published < oldest):
                oldest = published
            if item is not None:
                yield item
        if (oldest is None or oldest >= self.start_date) and page < MAX_FEED_PAGES:
            yield self.feed_request(company, page + 1, seen | set(ids))

    def item_from_posting(
        self, posting: Selector, company: tuple[str, str] | None, now: datetime
    ) -> tuple[RecordItem | None, date | None]:
        """The item of one posting (None when skipped) and the day it was posted."""
        stats = self.crawler.stats
        item_id = (posting.attrib.get("id") or "").removeprefix("item-")
        link = posting.xpath(
            ".//div[contains(@class,'m_feed_txt')]//a[@href and not(starts-with(@href,'user.do'))]"
        )
        when = feed_time(" ".join(posting.css("div.m_feed_from span::text").getall()), now)
        if not item_id.isdigit() or not link or when is None:
            stats.inc_value(f"{self.name}/malformed_rows")
            self.logger.warning("Skipping an e互动 posting without id, file or time: %s", item_id)
            return None, when.date() if when else None
        code = self.posting_code(posting) or (company[0] if company else None)
        asked = company[0] if company else None
        if (asked and code != asked) or (code and exchange_of(code) != "SSE"):
            stats.inc_value(f"{self.name}/foreign_rows")
            self.logger.warning(
                "Skipping e互动 posting %s of %s: asked for %s", item_id, code, asked or "SSE"
            )
            return None, when.date()
        if not self.start_date <= when.date() <= self.end_date:
            stats.inc_value(f"{self.name}/out_of_window_rows")
            return None, when.date()
        if not self.first_sighting(f"sseinfo:{item_id}"):
            return None, when.date()
        url = link[0].attrib["href"].strip()
        extension = url.rsplit("?", 1)[0].rsplit(".", 1)[-1] if "." in url else ""
        item = self.record_item(
            item_id,
            stock_code=code,
            stock_name=(posting.css("div.m_feed_face p::text").get() or "").strip() or None,
            title=" ".join(link[0].css("::text").getall()).strip(),
            published_at=when.isoformat(),
            file_url=urljoin(self.sseinfo_url + "/", url),
            file_type_declared=extension.upper() or None,
        )
        return item, when.date()

    @staticmethod
    def posting_code(posting: Selector) -> str | None:
        """The stock code of a posting: the company logo's file name or a ``(600519)`` in it."""
        logo = posting.css("div.m_feed_face img::attr(src)").get() or ""
        if m := _CODE_IN_IMAGE.search(logo):
            return m.group(1)
        if m := _CODE_IN_TEXT.search(" ".join(posting.css("::text").getall())):
            return m.group(1)
        return None
