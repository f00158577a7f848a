"""Extensions for unattended runs: the scheduled crawl's watermark, the end-of-run summary (with
the "source went quiet" warning) and backfill progress lines. Days come from crawler/clock.py."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

from crawler import clock
from crawler.reach import unreachable_hosts
from pipelines.index import IndexPipeline
from pipelines.keys import crawler_run_id, run_summary_key
from pipelines.state import next_watermark, read_watermark, write_watermark
from pipelines.storage import crawler_archive

logger = logging.getLogger(__name__)


def run_problem(reason: str | None, stats: dict[str, Any]) -> str | None:
    """Why a run counts as failed (a host never reached, closed early, or errors logged), or
    None when it did not."""
    if unreachable := unreachable_hosts(stats):
        return "; ".join(f"cannot reach {host}: {why}" for host, why in unreachable.items())
    if reason != "finished":
        return f"the spider closed early ({reason})"
    errors = stats.get("log_count/ERROR", 0) + stats.get("log_count/CRITICAL", 0)
    if errors:
        return f"{errors} error(s) were logged"
    return None


class Watermark:
    """After a clean run over all stocks, move the spider's watermark to the run's last day."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Watermark:
        return cls(crawler)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if getattr(spider, "stocks", True):
            return  # a run over some stocks (or not a record spider) covers only them
        problem = run_problem(reason, self.crawler.stats.get_stats())
        if problem:
            logger.warning("Watermark of %s not advanced: %s", spider.name, problem)
            return
        store = crawler_archive(self.crawler)
        current = await asyncio.to_thread(read_watermark, store, spider.name)
        through = next_watermark(current, (spider.start_date, spider.end_date))
        if through is None:
            logger.info("Watermark of %s stays at %s", spider.name, current)
            return
        updated = clock.now(self.crawler.settings)
        await asyncio.to_thread(write_watermark, store, spider.name, through, updated)
        logger.info("Watermark of %s advanced from %s to %s", spider.name, current, through)


class RunSummary:
    """At the end of a run: log and archive what it found, archived, skipped, parsed and what
    went wrong; warn when a source's newest record is MONITOR_EMPTY_DAYS old or more, once the
    spider has had a clean run (its watermark exists): before that, no record is no news."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.empty_days = crawler.settings.getint("MONITOR_EMPTY_DAYS", 3)
        self.closed: tuple[Spider, str] | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        return cls(crawler)

    def newest_records(self) -> dict[str, str | None]:
        pipeline = self.crawler.get_item_pipeline(IndexPipeline)
        indexes = pipeline.indexes.values() if pipeline else []
        return {
            index.source: (day.isoformat() if (day := index.last_published()) else None)
            for index in indexes
        }

    def quiet_sources(
        self, spider: Spider, newest: dict[str, str | None], watermarked: bool
    ) -> list[str]:
        if not watermarked:
            return []  # never a clean run yet: nothing to compare with
        today = clock.today(self.crawler.settings)
        if getattr(spider, "end_date", today) < today - timedelta(days=1):
            return []  # a backfill of the past says nothing about the source today
        limit = (today - timedelta(days=self.empty_days)).isoformat()
        return [source for source, day in newest.items() if day is None or day <= limit]

    def summary(self, spider: Spider, reason: str, watermarked: bool) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats()
        newest = self.newest_records()
        walk = getattr(spider, "walk", None)
        return {
            "spider": spider.name,
            "run_id": crawler_run_id(self.crawler),
            "started": stats["start_time"].isoformat(timespec="seconds"),
            "finish_reason": reason,
            "failed": run_problem(reason, stats),
            "window": {
                "start": str(getattr(spider, "start_date", "")),
                "end": str(getattr(spider, "end_date", "")),
            },
            "records_found": stats.get("item_scraped_count", 0)
            + stats.get("item_dropped_count", 0),
            "records_written": stats.get("archive/records_written", 0),
            "originals_archived": stats.get("archive/originals_archived", 0),
            "skipped_already_archived": stats.get("archive/already_archived", 0),
            "records_with_error": stats.get("archive/records_with_error", 0),
            "parse": {
                key.rsplit("/", 1)[1]: value
                for key, value in stats.items()
                if key.startswith("parse/status/")
            },
            "errors": stats.get("log_count/ERROR", 0) + stats.get("log_count/CRITICAL", 0),
            "warnings": stats.get("log_count/WARNING", 0),
            "windows": walk.summary() if walk else None,
            "newest_record": newest,
            "quiet_sources": self.quiet_sources(spider, newest, watermarked),
        }

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.closed = (spider, reason)

    async def engine_stopped(self) -> None:
        """Written once the feed exporter is done, which creates the same folder."""
        if self.closed is None:
            return
        spider, reason = self.closed
        try:
            store = crawler_archive(self.crawler)
            watermarked = await asyncio.to_thread(read_watermark, store, spider.name) is not None
        except Exception as exc:  # any backend failure: then no quiet-source warning
            logger.error("Could not read the watermark of %s: %s", spider.name, exc)
            watermarked = False
        summary = self.summary(spider, reason, watermarked)
        for source in summary["quiet_sources"]:
            logger.warning(
                "%s returned nothing for %d days or more (newest record: %s)",
                source,
                self.empty_days,
                summary["newest_record"][source] or "none",
            )
        logger.info("Run summary: %s", json.dumps(summary, ensure_ascii=False))
        key = run_summary_key(spider.name, summary["run_id"])
        data = json.dumps(summary, ensure_ascii=False, indent=1).encode("utf-8")
        try:
            store = crawler_archive(self.crawler)
            await asyncio.to_thread(store.write, key, data, "application/json")
        except Exception as exc:  # any backend failure
            logger.error("Could not write the run summary %s: %s", key, exc)


class BackfillProgress:
    """Every PROGRESS_INTERVAL seconds of a run over several windows, log windows done/total,
    records so far, their rate and the estimated time left."""

    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackfillProgress:
        return cls(crawler, crawler.settings.getfloat("PROGRESS_INTERVAL", 60))

    def spider_opened(self, spider: Spider) -> None:
        walk = getattr(spider, "walk", None)
        if walk is not None and walk.total > 1 and self.interval > 0:
            self.loop = task.LoopingCall(self.log, walk)
            self.loop.start(self.interval, now=False)

    def log(self, walk: Any) -> None:
        stats = self.crawler.stats
        records = stats.get_value("item_scraped_count", 0) + stats.get_value(
            "item_dropped_count", 0
        )
        elapsed = max(time.monotonic() - walk.started, 1e-6)
        done_now = len(walk.finished_now)
        left = walk.total - walk.done
        eta = format_duration(elapsed / done_now * left) if done_now else "unknown"
        logger.info(
            "Backfill: %d/%d windows, %d records (%.1f/s), about %s left",
            walk.done,
            walk.total,
            records,
            records / elapsed,
            eta,
        )

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
            self.log(spider.walk)


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
