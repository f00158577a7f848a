"""``scrapy crawl p5w``: p5w 全景网 roadshow events and their Q&A (crawler/sites/p5w.py)."""

from __future__ import annotations

from crawler.listing import Site
from crawler.sites.p5w import P5wEvents
from crawler.spiders.base import RecordSpider


class P5wSpider(RecordSpider):
    name = "p5w"

    def make_sites(self) -> list[Site]:
        return [P5wEvents(self)]
