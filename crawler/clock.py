"""The crawl's clock: the one place that says what time it is for scheduling decisions.

The default window (yesterday to today), the future-end check, the watermark's ``updated``,
RETRY_FAILED_DAYS (before the window), MONITOR_EMPTY_DAYS and e互动's relative times ("昨天 16:48")
all take "now" from here, in Asia/Shanghai, the zone every source publishes in.

``CRAWL_NOW`` (a setting, or an environment variable of that name) pins it for the whole run:
an ISO 8601 time such as ``2024-05-09T23:59:00+08:00`` (without an offset: China time). Tests
use it instead of the wall clock; an operator can replay a day with it.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from typing import Any

# China has kept +08:00 all year since 1991; every source publishes in this zone.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class ClockError(ValueError):
    """CRAWL_NOW is not a time."""


def parse_now(value: str) -> datetime:
    """``CRAWL_NOW``'s value as an aware time in Asia/Shanghai."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ClockError(
            f"CRAWL_NOW={value!r}: expected an ISO 8601 time such as 2024-05-09T23:59:00+08:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def now(settings: Any = None) -> datetime:
    """The current time in Asia/Shanghai, or CRAWL_NOW (from ``settings``, else the environment)."""
    pinned = settings.get("CRAWL_NOW") if settings is not None else None
    pinned = pinned or os.environ.get("CRAWL_NOW")
    if pinned:
        return parse_now(str(pinned))
    return datetime.now(SHANGHAI)


def today(settings: Any = None) -> date:
    """Today in Asia/Shanghai (CRAWL_NOW's day when it is set)."""
    return now(settings).date()
