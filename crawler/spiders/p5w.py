"""``scrapy crawl p5w``: p5w 全景网 roadshow events and their Q&A (crawler/sites/p5w.py)."""

from __future__ import annotations

from typing import Any

from crawler.listing import Site
from crawler.sites.p5w import P5wEvents
from crawler.spiders.base import RecordSpider


class P5wSpider(RecordSpider):
    name = "p5w"

    def make_sites(self) -> list[Site]:
        self.events = P5wEvents(self)
        return [self.events]

    def fetch_again(self, record: dict[str, Any]) -> Any:
        """A failed event is fetched again whole: its Q&A, then its page."""
        return self.events.fetch_again(record)
