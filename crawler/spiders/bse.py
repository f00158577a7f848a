"""``scrapy crawl bse``: BSE companies' IR records, from bse.cn's announcement list
(crawler/sites/bse.py) and cninfo's full-text tab (crawler/sites/cninfo.py)."""

from __future__ import annotations

from crawler.listing import Site
from crawler.sites.bse import BseListing
from crawler.sites.cninfo import CninfoListing
from crawler.spiders.base import RecordSpider


class BseSpider(RecordSpider):
    name = "bse"

    def make_sites(self) -> list[Site]:
        full_text = CninfoListing(
            self, tab="fulltext", column="bj", plate="bj", exchanges=frozenset({"BSE"})
        )
        return [BseListing(self), full_text]
