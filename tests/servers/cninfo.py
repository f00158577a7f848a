"""An imitation of cninfo's endpoints over real HTTP, built on the real payload shapes in
tests/fixtures/samples/ and the limits in sources.md §1: 30 rows a page whatever pageSize says,
pages past 100 answered with page 1, ``announcements: null`` when empty, ``totalpages`` rounded
down, a 403 without a browser User-Agent, and form bodies only."""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

from tests.paths import RECORDS, SAMPLES, fixture_file, require_samples
from tests.servers.site import ClosingHandler, LocalServer

SHANGHAI = timezone(timedelta(hours=8))
PAGE_CAP = 30
PAGE_LIMIT = 100


# The real records the crawl tests serve, all listed as 海康威视 002415: its three records first
# (``make_announcements(1)`` is a real 海康威视 record that parses ``ok``), then nine small ones of
# other companies, so that up to twelve records of a test have distinct bytes.
REAL_PDFS = (
    "002415_20201123.pdf",
    "002415_20211023.pdf",
    "002415_20240817.pdf",
    "300394_20251127.pdf",
    "300470_20251030.pdf",
    "300666_20211109.pdf",
    "300394_20230131.pdf",
    "300666_20210828.pdf",
    "002837_20251103.pdf",
    "300570_20210521.pdf",
    "300474_20251216.pdf",
    "002156_20260121.pdf",
)


def row_template() -> dict[str, Any]:
    """The first row of the real 调研-tab page, to copy every field the site sends."""
    page = json.loads(fixture_file(SAMPLES / "cninfo_research_page.json").read_text("utf-8"))
    return page["announcements"][0]


def real_pdfs() -> list[Path]:
    """The real record PDFs of ``REAL_PDFS``, in that order, from tests/fixtures/records/."""
    return [fixture_file(RECORDS / name) for name in REAL_PDFS]


@dataclass
class Announcement:
    """One listed record and the bytes its file URL serves."""

    announcement_id: str
    code: str
    name: str
    org_id: str
    published: datetime
    title: str
    body: bytes | None  # None: the file URL answers 404
    adjunct_type: str = "PDF"
    extension: str = "PDF"
    page_column: str = "SZZB"
    tab: str = "relation"  # tabName it is listed under; "fulltext" for SSE/BSE announcements
    # The publication day (seDate filter, file path). The 调研 tab's announcementTime can be the
    # evening before it (samples/cninfo_research_page.json: 2026-08-06 23:50, finalpage/2026-08-07).
    listed_on: date | None = None

    @property
    def day(self) -> date:
        return self.listed_on or self.published.date()

    @property
    def adjunct_url(self) -> str:
        return f"finalpage/{self.day.isoformat()}/{self.announcement_id}.{self.extension}"

    def row(self) -> dict[str, Any]:
        row = copy.deepcopy(row_template())
        row.update(
            secCode=self.code,
            secName=self.name,
            tileSecName=self.name,
            orgId=self.org_id,
            announcementId=self.announcement_id,
            announcementTitle=self.title,
            shortTitle=self.title,
            announcementTime=int(self.published.timestamp() * 1000),
            adjunctUrl=self.adjunct_url,
            adjunctSize=len(self.body or b"") // 1024,
            adjunctType=self.adjunct_type,
            pageColumn=self.page_column,
        )
        return row


@dataclass
class CninfoSite:
    """The site's state: what is listed, and a log of every request received."""

    samples: ClassVar[tuple[str, ...]] = (
        "cninfo_research_page.json",
        "cninfo_szse_stock_json_FIXTURE.json",
    )

    announcements: list[Announcement] = field(default_factory=list)
    extra_stocks: list[dict[str, str]] = field(default_factory=list)
    broken_listing: str | None = None  # served instead of JSON for the next listing call
    # Answers for the next listing calls: an HTTP error status, or 0 to stall for 3 s (a timeout).
    listing_statuses: list[int] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # time.monotonic() of each request above
    file_delay: float = 0.0  # seconds before serving each file, to slow a crawl down
    ignore_page: bool = False  # answer every listing page with page 1 (totals unchanged)
    renamed: dict[str, str] = field(default_factory=dict)  # row field renames, old -> new
    lose_rows: int = 0  # the last rows of a query: counted in the totals, never served
    page_limit: int = PAGE_LIMIT  # pages past this one are answered with page 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        require_samples(self.samples)

    def listing(self, form: dict[str, str]) -> dict[str, Any]:
        rows = [a for a in self.announcements if self._matches(a, form)]
        rows.sort(key=lambda a: a.published, reverse=True)
        page = int(form.get("pageNum") or 1)
        if page > self.page_limit:
            page = 1  # the real site silently answers page 1
        total = len(rows)
        served = rows[: max(total - self.lose_rows, 0)]
        chunk = served[(page - 1) * PAGE_CAP : page * PAGE_CAP]
        if self.ignore_page:
            chunk = served[:PAGE_CAP]
        return {
            "totalAnnouncement": total,
            "totalRecordNum": total,
            "announcements": [self.row(a) for a in chunk] or None,
            "classifiedAnnouncements": None,
            "totalSecurities": 0,
            "categoryList": [],
            "hasMore": page * PAGE_CAP < total,
            "totalpages": total // PAGE_CAP,
        }

    def row(self, a: Announcement) -> dict[str, Any]:
        return {self.renamed.get(k, k): v for k, v in a.row().items()}

    @staticmethod
    def _matches(a: Announcement, form: dict[str, str]) -> bool:
        """Whether ``a`` is listed for ``form``, on either tab: ``plate`` and ``column`` are
        ignored, ``stock`` (``code,orgId``) and ``searchkey`` (in the title) filter."""
        if form.get("tabName") != a.tab or form.get("searchkey", "") not in a.title:
            return False
        start, _, end = form.get("seDate", "").partition("~")
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            return False  # a bad seDate gives no rows on the real site
        if not first <= a.day <= last:
            return False
        stock = form.get("stock", "")
        return not stock or stock == f"{a.code},{a.org_id}"

    def stock_list(self) -> dict[str, Any]:
        template = json.loads(
            fixture_file(SAMPLES / "cninfo_szse_stock_json_FIXTURE.json").read_text("utf-8")
        )
        rows = {row["code"]: row for row in template}
        for a in self.announcements:
            rows[a.code] = {
                "orgId": a.org_id,
                "category": "A股",
                "code": a.code,
                "pinyin": "",
                "zwjc": a.name,
            }
        for row in self.extra_stocks:
            rows[row["code"]] = row
        return {"stockList": list(rows.values())}

    def files(self) -> dict[str, bytes | None]:
        return {"/" + a.adjunct_url: a.body for a in self.announcements}

    def arrivals(self, path: str) -> list[float]:
        """When each request for ``path`` arrived (time.monotonic())."""
        with self.lock:
            return [t for (_, p, _), t in zip(self.requests, self.times, strict=True) if p == path]

    def count(self, method: str, path_prefix: str) -> int:
        with self.lock:
            return sum(1 for m, p, _ in self.requests if m == method and p.startswith(path_prefix))


class _Handler(ClosingHandler):
    site: CninfoSite

    def log_message(self, *args: Any) -> None:
        pass

    def _log(self, form: dict[str, str]) -> None:
        with self.site.lock:
            self.site.requests.append((self.command, urlparse(self.path).path, form))
            self.site.times.append(time.monotonic())

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _browser(self) -> bool:
        if "Mozilla" in self.headers.get("User-Agent", ""):
            return True
        self._send(403, b"<html><title>403 Forbidden</title></html>", "text/html")
        return False

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {
            k: v[0]
            for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()
        }
        self._log(form)
        if not self._browser():
            return
        if urlparse(self.path).path != "/new/hisAnnouncement/query":
            self._send(404, b"not found", "text/plain")
            return
        if self.site.listing_statuses:
            status = self.site.listing_statuses.pop(0)
            if status == 0:
                time.sleep(3)
                return
            self.send_response(status)
            if status in (429, 503):
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        broken, self.site.broken_listing = self.site.broken_listing, None
        if broken is not None:
            self._send(200, broken.encode(), "text/html; charset=utf-8")
            return
        body = json.dumps(self.site.listing(form), ensure_ascii=False).encode()
        self._send(200, body, "application/json;charset=UTF-8")

    def do_GET(self) -> None:
        path = urlparse(self.path).path
        self._log({})
        if not self._browser():
            return
        if path == "/new/data/szse_stock.json":
            self._send(
                200,
                json.dumps(self.site.stock_list(), ensure_ascii=False).encode(),
                "application/json",
            )
            return
        body = self.site.files().get(path)
        time.sleep(self.site.file_delay)
        if body is None:
            self._send(404, b"<html><title>404</title></html>", "text/html")
            return
        self._send(200, body, "application/octet-stream")


class CninfoServer(LocalServer):
    """Serve a CninfoSite; ``url`` is both base and static URL."""

    def __init__(self, site: CninfoSite):
        self.site = site
        super().__init__(type("Handler", (_Handler,), {"site": site}))
