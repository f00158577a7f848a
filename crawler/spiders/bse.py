"""BSE companies' IR records, from two sources:

- bse.cn's announcement list (``disclosureInfoController/companyAnnouncement.do``): JSONP, 0-based
  pages, searched with the IR title keys and kept by title. Companies appear under their old
  (43/83/87…) and new (920…) codes; ``-a stock=`` matches the code given, so give both.
- cninfo's full-text tab searched for IR-record titles (see cninfo.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.items import RecordItem
from crawler.spiders.base import SHANGHAI, exchange_of, shanghai_time
from crawler.spiders.cninfo import CninfoSpider, Window
from crawler.spiders.guards import RepeatedPages
from crawler.spiders.titles import SEARCH_KEYS, is_ir_record_title

BSE_MARKET = "2"  # xxfcbj of BSE-listed companies (NEEQ companies are 0 and 1)
_JSONP = re.compile(r"^\s*[\w$.]*\s*\((.*)\)\s*;?\s*$", re.S)
_BRACKET_PREFIX = re.compile(r"^\[[^\]]*\]")


class UnusableReply(ValueError):
    """A listing reply that is not the JSONP list it should be."""


def listing_rows(body: str) -> tuple[list[dict[str, Any]], int]:
    """The rows and the page count of a bse.cn JSONP listing reply.

    Two shapes are known: ``cb({"data": {"content": [{"disclosures": [...]}], "totalPages"}})`` and
    the older ``cb([{"listInfo": {"content": [...], "totalPages"}}])``.
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
    rows: list[dict[str, Any]] = []
    for entry in page["content"]:
        if isinstance(entry, dict) and isinstance(entry.get("disclosures"), list):
            rows.extend(entry["disclosures"])
        else:
            rows.append(entry)
    return rows, int(page.get("totalPages") or 0)


class BseSpider(CninfoSpider):
    name = "bse"
    source = "bse"
    tab_name = "fulltext"
    column = "bj"
    plate = "bj"
    search_keys = SEARCH_KEYS
    ir_titles_only = True
    exchanges = frozenset({"BSE"})

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.repeats = RepeatedPages()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.cninfo_requests():
            yield request
        window = (self.start_date, self.end_date)
        for stock in self.stocks or [None]:
            for key in self.search_keys:
                yield self.bse_query(window, stock, key, 0)

    @property
    def bse_url(self) -> str:
        return self.settings.get("BSE_BASE_URL").rstrip("/")

    def bse_query(self, window: Window, stock: str | None, key: str, page: int) -> scrapy.Request:
        form = [
            ("page", str(page)),
            ("companyCd", stock or ""),
            ("isNewThree", "1"),
            ("startTime", window[0].isoformat()),
            ("endTime", window[1].isoformat()),
            ("keyword", key),
            ("xxfcbj[]", BSE_MARKET),
            *(
                ("needFields[]", field)
                for field in (
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
            ),
            ("sortfield", ""),
            ("sorttype", ""),
        ]
        return scrapy.FormRequest(
            self.bse_url + "/disclosureInfoController/companyAnnouncement.do?callback=jsonp",
            formdata=form,
            headers={
                "X-Requested-With": "XMLHttpRequest",
                "Referer": self.bse_url + "/disclosure/announcement.html",
            },
            callback=self.parse_bse_page,
            errback=self.listing_failed,
            cb_kwargs={"window": window, "stock": stock, "key": key, "page": page},
        )

    def parse_bse_page(
        self, response: Response, window: Window, stock: str | None, key: str, page: int
    ) -> Iterator[scrapy.Request | RecordItem]:
        try:
            rows, pages = listing_rows(response.text)
        except (UnusableReply, AttributeError) as exc:
            self.listing_error(response, f"the bse.cn listing is unusable: {exc}")
            return
        if page == 0:
            for next_page in range(1, pages):
                yield self.bse_query(window, stock, key, next_page)
        ids = [bse_id(row) or "" for row in rows if isinstance(row, dict)]
        if (earlier := self.repeats.earlier_page((window, stock, key), page, ids)) is not None:
            self.crawler.stats.inc_value(f"{self.name}/repeated_pages")
            self.logger.error(
                "bse.cn page %d repeats page %d (paging ignored): %s", page, earlier, response.url
            )
            return
        for row in rows:
            item = self.item_from_bse_row(row, stock, window)
            if item is not None:
                yield item

    def item_from_bse_row(self, row: Any, stock: str | None, window: Window) -> RecordItem | None:
        stats = self.crawler.stats
        source_id = bse_id(row) if isinstance(row, dict) else None
        if not source_id or not all(
            row.get(k) for k in ("companyCd", "publishDate", "destFilePath")
        ):
            stats.inc_value(f"{self.name}/malformed_rows")
            self.logger.warning("Skipping a bse.cn row without id, code, file or date: %r", row)
            return None
        code = str(row["companyCd"])
        market = str(row.get("xxfcbj") or BSE_MARKET)
        if (stock and code != stock) or exchange_of(code) != "BSE" or market != BSE_MARKET:
            stats.inc_value(f"{self.name}/foreign_rows")
            self.logger.warning(
                "Skipping bse.cn row %s of %s (market %s): asked for %s",
                source_id,
                code,
                market,
                stock or "BSE companies",
            )
            return None
        published = published_time(row)
        if published is None or not window[0] <= published.date() <= window[1]:
            stats.inc_value(f"{self.name}/out_of_window_rows")
            self.logger.warning(
                "Skipping bse.cn row %s: published %s, outside %s~%s",
                source_id,
                row.get("publishDate"),
                *window,
            )
            return None
        title = str(row.get("disclosureTitle") or "").strip()
        if not is_ir_record_title(_BRACKET_PREFIX.sub("", title)):
            stats.inc_value(f"{self.name}/not_ir_record_titles")
            return None
        if not self.first_sighting(f"bse:{source_id}"):
            return None
        return self.record_item(
            source_id,
            stock_code=code,
            stock_name=row.get("companyName"),
            title=title + str(row.get("disclosurePostTitle") or ""),
            published_at=published.isoformat(),
            file_url=self.bse_url + "/" + str(row["destFilePath"]).lstrip("/"),
            file_type_declared=str(row.get("fileExt") or "").upper() or None,
        )


def bse_id(row: dict[str, Any]) -> str | None:
    """``disclosureCode``, else the file name of ``destFilePath`` (unique per disclosure)."""
    if row.get("disclosureCode"):
        return str(row["disclosureCode"])
    path = row.get("destFilePath")
    return PurePosixPath(str(path)).stem if path else None


def published_time(row: dict[str, Any]) -> datetime | None:
    """``upDate.time`` (ms) when the row has it, else midnight of ``publishDate``."""
    stamp = row.get("upDate")
    if isinstance(stamp, dict) and isinstance(stamp.get("time"), int | float):
        return shanghai_time(stamp["time"])
    try:
        day = date.fromisoformat(str(row.get("publishDate"))[:10])
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
