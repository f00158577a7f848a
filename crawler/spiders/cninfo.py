"""``scrapy crawl cninfo``: SZSE companies' IR records from cninfo's 调研 tab."""

from __future__ import annotations

from crawler.listing import Site
from crawler.sites.cninfo import CninfoListing
from crawler.spiders.base import RecordSpider


class CninfoSpider(RecordSpider):
    name = "cninfo"

    def make_sites(self) -> list[Site]:
        return [CninfoListing(self, tab="relation", column="szse")]
