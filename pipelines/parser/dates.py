"""Dates and times of day in 时间 / 日期 cells.

Handles ``2020年11月23日-2020年12月7日``, ``—`` / ``至`` ranges, spaced digits
(``2023 年4 月 15日``), ``2026-08-23`` / ``2026.8.23`` / ``2026/8/23``, dates without a year
(``8月28日、8月31日``: year from an earlier date or the caller's context), ``28-31日`` day
ranges, month-only dates (``2026年7月``: the whole month, with a warning) and ``15:00-17:00``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .text import cjk_digits

_FULL = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-./])\s*(?P<m>\d{1,2})\s*(?:月|[-./])\s*(?P<d>\d{1,2})\s*日?"
)
_NO_YEAR = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_DAY_ONLY = re.compile(r"\s*(?:-|—|–|~|～|至|到)\s*(?P<d>\d{1,2})\s*日")
_MONTH = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?!\s*\d{1,2}\s*日)")
_TIME = re.compile(
    r"(?P<ampm>上午|下午|晚上|中午|早上)?\s*(?P<h>\d{1,2})\s*[:：时点]\s*(?P<min>\d{2})?"
)
_TIME_RANGE = re.compile(
    r"(?P<a>(?:上午|下午|晚上|中午|早上)?\s*\d{1,2}\s*[:：]\s*\d{2})"
    r"(?:\s*(?:-|—|–|~|～|至|到)+\s*(?P<b>(?:上午|下午|晚上|中午|早上)?\s*\d{1,2}\s*[:：]\s*\d{2}))?"
)


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str, year: int | None = None) -> tuple[list[dt.date], list[str]]:
    """All dates in ``text`` in order (month-only dates give first and last day), warnings."""
    text = cjk_digits(text or "")
    warnings: list[str] = []
    hits: list[tuple[int, dt.date]] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _FULL.finditer(text):
        day = _date(int(m["y"]), int(m["m"]), int(m["d"]))
        if day:
            hits.append((m.start(), day))
            taken.append(m.span())
            tail = _DAY_ONLY.match(text, m.end())
            if tail and (end := _date(day.year, day.month, int(tail["d"]))):
                hits.append((tail.start(), end))
                taken.append(tail.span())
    for m in _NO_YEAR.finditer(text):
        if not free(*m.span()):
            continue
        earlier = [d for pos, d in hits if pos < m.start()]
        y = earlier[-1].year if earlier else year
        if y is None:
            warnings.append(f"date without a year: {m.group(0)}")
            continue
        day = _date(y, int(m["m"]), int(m["d"]))
        if day and earlier and day < earlier[-1]:
            day = _date(y + 1, day.month, day.day) or day
        if day:
            hits.append((m.start(), day))
            taken.append(m.span())
    for m in _MONTH.finditer(text):
        if not free(*m.span()):
            continue
        y, mo = int(m["y"]), int(m["m"])
        if not 1 <= mo <= 12:
            continue
        hits.append((m.start(), dt.date(y, mo, 1)))
        hits.append((m.start() + 1, dt.date(y, mo, calendar.monthrange(y, mo)[1])))
        taken.append(m.span())
        warnings.append(f"month-only date {m.group(0).strip()}: taken as the whole month")
    hits.sort(key=lambda h: h[0])
    return [d for _, d in hits], warnings


def _clock(text: str) -> str | None:
    m = _TIME.search(text)
    if not m:
        return None
    h, minute = int(m["h"]), int(m["min"] or 0)
    if m["ampm"] in ("下午", "晚上") and h < 12:
        h += 12
    if h > 24 or minute > 59:
        return None
    return f"{h:02d}:{minute:02d}"


def find_times(text: str) -> tuple[str | None, str | None]:
    """Start and end time of day (``HH:MM``) in ``text``; the end only when a range is given."""
    text = cjk_digits(text or "")
    text = _FULL.sub(" ", text)
    text = _NO_YEAR.sub(" ", text)
    m = _TIME_RANGE.search(text)
    if not m:
        return None, None
    start = _clock(m["a"])
    end = _clock(m["b"]) if m["b"] else None
    if (
        start
        and end
        and not re.search(r"上午|下午|晚上|中午|早上", m["b"])
        and re.search(r"下午|晚上", m["a"])
        and int(end[:2]) < 12
    ):
        end = f"{int(end[:2]) + 12:02d}{end[2:]}"
    return start, end


def parse_time_cell(text: str, year: int | None = None) -> dict[str, object]:
    """start_date, end_date (ISO), start_time, end_time and warnings for a 时间 cell."""
    dates, warnings = find_dates(text, year)
    start_time, end_time = find_times(text)
    return {
        "start_date": dates[0].isoformat() if dates else None,
        "end_date": dates[-1].isoformat() if dates else None,
        "start_time": start_time,
        "end_time": end_time,
        "warnings": warnings,
    }


def parse_single_date(text: str, year: int | None = None) -> str | None:
    """The first date in ``text`` as ISO, or None."""
    dates, _ = find_dates(text, year)
    return dates[0].isoformat() if dates else None
