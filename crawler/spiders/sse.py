"""``scrapy crawl sse``: SSE main board and STAR companies' IR records, from 上证e互动 postings
(about the last month: the scheduled crawl's source; crawler/sites/sseinfo.py) and cninfo's
full-text tab (every year: the backfill's; crawler/sites/cninfo.py). Originals are often DOCX;
the archive stage finds the type from the bytes."""

from __future__ import annotations

from crawler.listing import Site
from crawler.sites.cninfo import CninfoListing
from crawler.sites.sseinfo import SseinfoFeed
from crawler.spiders.base import RecordSpider


class SseSpider(RecordSpider):
    name = "sse"

    def make_sites(self) -> list[Site]:
        full_text = CninfoListing(
            self, tab="fulltext", column="sse", plate="sh", exchanges=frozenset({"SSE"})
        )
        return [SseinfoFeed(self), full_text]
