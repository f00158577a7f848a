"""p5w 全景网 roadshow events (业绩说明会 and other P5W_ROADSHOW_TYPES) and their Q&A.

There is no file: the event list (``roadshow/getRoadshowList.shtml``, 0-based pages), each event's
Q&A (``roadshowLive/getNInteractionDatas.shtml``) and the event page are fetched here, and the raw
Q&A JSON and the page are handed to the archive as the record's originals. The record carries the
event fields and ``qa`` in the parsed documents' schema, so exports combine them.

``-a stock=`` resolves each code to its p5w short name (``company/validCompanyJson.shtml``), asks
the list for titles with that name and keeps only that company's events.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.html import remove_tags

from crawler.items import RecordItem
from crawler.spiders.base import SHANGHAI, RecordSpider
from crawler.spiders.cninfo import Window
from crawler.spiders.guards import RepeatedPages
from pipelines.filetypes import BadOriginal, check_original
from pipelines.parser.checkboxes import OPTIONS
from pipelines.parser.result import empty_result

LIST_ROWS = 50
QA_ROWS = 10
MAX_QA_PAGES = 200
EVENT_PAGE = "event.html"
# roadshowType code -> the roadshowTypeName the list gives its events
ROADSHOW_TYPES = {
    "1": "论坛峰会",
    "2": "摇号抽签",
    "3": "集体接待日",
    "4": "IPO路演",
    "5": "业绩说明会",
    "6": "上市公司再融资路演",
    "7": "项目路演",
    "8": "公开致歉会",
    "9": "上市仪式",
    "10": "投资者回馈",
    "11": "其他路演",
    "12": "投资者说明会",
    "13": "财经节目",
    "14": "资产重组说明会",
    "15": "股东大会",
    "16": "人物访谈",
    "17": "发布会",
    "18": "培训会",
    "22": "可转债路演",
    "32": "新财富分析师路演",
}
_TIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def p5w_time(text: Any) -> datetime | None:
    """``2024-05-09 15:00[:00]`` (or with slashes, or a bare date) as Asia/Shanghai time."""
    match = _TIME.search(str(text or ""))
    if not match:
        return None
    parts = [int(p) if p else 0 for p in match.groups()]
    try:
        return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]
    except ValueError:
        return None


def qa_entry(row: dict[str, Any]) -> dict[str, Any]:
    """One Q&A row as a ``qa`` entry: question, answer, asker, answerer and both times."""
    replies = [r for r in row.get("replyList") or [] if isinstance(r, dict)]
    names = [str(r["speakUserName"]) for r in replies if r.get("speakUserName")]
    asked, answered = p5w_time(row.get("speakTime")), None
    if replies:
        answered = p5w_time(replies[0].get("speakTime"))
    return {
        "question": remove_tags(str(row.get("speakContent") or "")).strip(),
        "answer": "\n".join(
            remove_tags(str(r.get("speakContent") or "")).strip() for r in replies
        ).strip()
        or None,
        "asker": row.get("speakUserName") or None,
        "answerer": "、".join(dict.fromkeys(names)) or None,
        "asked_at": asked.isoformat() if asked else None,
        "answered_at": answered.isoformat() if answered else None,
    }


class P5wSpider(RecordSpider):
    name = "p5w"
    source = "p5w"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.repeats = RepeatedPages()

    @property
    def rs_url(self) -> str:
        return self.settings.get("P5W_RS_URL").rstrip("/")

    @property
    def ir_url(self) -> str:
        return self.settings.get("P5W_IR_URL").rstrip("/")

    @property
    def roadshow_types(self) -> list[str]:
        return [t.strip() for t in self.settings.getlist("P5W_ROADSHOW_TYPES") if t.strip()]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        window = (self.start_date, self.end_date)
        for code in self.stocks:
            yield scrapy.FormRequest(
                self.ir_url + "/company/validCompanyJson.shtml",
                formdata={"keyword": code},
                callback=self.parse_company,
                errback=self.listing_failed,
                cb_kwargs={"code": code, "window": window},
            )
        if not self.stocks:
            for rtype in self.roadshow_types:
                yield self.list_request(window, rtype, None, 0)

    def parse_company(self, response: Response, code: str, window: Window) -> Iterator[Any]:
        """The company's p5w short name; the suggest list is fuzzy, so match the code exactly."""
        payload = self.load_json(response, "company search")
        matches = [
            row
            for row in (payload.get("obj") if isinstance(payload, dict) else None) or []
            if isinstance(row, dict) and str(row.get("companyCode")) == code
        ]
        if payload is not None and not matches:
            self.listing_error(response, f"stock {code} is unknown on p5w")
        for row in matches[:1]:
            company = (code, str(row.get("companyShortname") or ""))
            for rtype in self.roadshow_types:
                yield self.list_request(window, rtype, company, 0)

    def list_request(
        self, window: Window, rtype: str, company: tuple[str, str] | None, page: int
    ) -> scrapy.FormRequest:
        form = {
            "perComType": "0",
            "roadshowType": rtype,
            "companyType": "",
            "roadshowDate": "",
            "roadshowTitle": company[1] if company else "",
            "start": window[0].isoformat(),
            "end": window[1].isoformat(),
            "stationId": "",
            "page": str(page),
            "rows": str(LIST_ROWS),
        }
        return scrapy.FormRequest(
            self.rs_url + "/roadshow/getRoadshowList.shtml",
            formdata=form,
            headers={"X-Requested-With": "XMLHttpRequest", "Referer": self.rs_url + "/roadshow"},
            callback=self.parse_list,
            errback=self.listing_failed,
            cb_kwargs={"window": window, "rtype": rtype, "company": company, "page": page},
        )

    def parse_list(
        self,
        response: Response,
        window: Window,
        rtype: str,
        company: tuple[str, str] | None,
        page: int,
    ) -> Iterator[scrapy.Request]:
        payload = self.load_json(response, "event list")
        if payload is None:
            return
        rows = payload.get("rows") if isinstance(payload, dict) else None
        if not isinstance(rows, list):
            self.listing_error(response, f"no 'rows' in the event list: {str(payload)[:200]!r}")
            return
        if page == 0:
            pages = math.ceil(int(payload.get("total") or 0) / LIST_ROWS)
            for next_page in range(1, pages):
                yield self.list_request(window, rtype, company, next_page)
        ids = [str(row.get("pid")) for row in rows if isinstance(row, dict)]
        query = (window, rtype, company)
        if (earlier := self.repeats.earlier_page(query, page, ids)) is not None:
            self.crawler.stats.inc_value(f"{self.name}/repeated_pages")
            self.logger.error(
                "p5w list page %d repeats page %d (paging ignored): %s", page, earlier, response.url
            )
            return
        for row in rows:
            event = self.event_of(row, window, rtype, company)
            if event is not None:
                yield self.qa_request(event, 0, {}, [])

    def event_of(
        self, row: Any, window: Window, rtype: str, company: tuple[str, str] | None
    ) -> dict[str, Any] | None:
        """The event fields of a list row, or None (logged) when the row is not what was asked."""
        stats = self.crawler.stats
        if not isinstance(row, dict):
            row = {}
        when = p5w_time(row.get("roadshowDate") or row.get("roadshowDates"))
        url = str(row.get("roadshowUrl") or row.get("roadshowActiveHis") or "")
        if not row.get("pid") or when is None or not url:
            stats.inc_value(f"{self.name}/malformed_rows")
            self.logger.warning("Skipping a p5w event without id, time or page: %r", row)
            return None
        pid, type_name = str(row["pid"]), row.get("roadshowTypeName")
        expected = ROADSHOW_TYPES.get(rtype)
        name = str(row.get("companyShortname") or "")
        if (type_name and expected and type_name != expected) or (company and name != company[1]):
            stats.inc_value(f"{self.name}/foreign_rows")
            self.logger.warning(
                "Skipping p5w event %s (%s, %s): asked for %s%s",
                pid,
                name,
                type_name,
                expected or rtype,
                f" of {company[1]}" if company else "",
            )
            return None
        if not window[0] <= when.date() <= window[1]:
            stats.inc_value(f"{self.name}/out_of_window_rows")
            self.logger.warning("Skipping p5w event %s: held %s, outside %s~%s", pid, when, *window)
            return None
        if not self.first_sighting(pid):
            return None
        kind = type_name or expected or "其他"
        return {
            "source_id": pid,
            "stock_code": company[0] if company else None,
            "stock_name": name or None,
            "title": str(row.get("roadshowTitle") or "").strip(),
            "published_at": when.isoformat(),
            "detail_url": url if "://" in url else f"{self.rs_url}/{url.lstrip('/')}",
            "activity_types": [kind if kind in OPTIONS else "其他"],
            "activity_other": None if kind in OPTIONS else kind,
            "start_date": when.date().isoformat(),
            "start_time": when.strftime("%H:%M") if when.time() != datetime.min.time() else None,
        }

    def qa_request(
        self, event: dict[str, Any], page: int, held: dict[str, Any], qa: list[dict[str, Any]]
    ) -> scrapy.FormRequest:
        return scrapy.FormRequest(
            self.rs_url + "/roadshowLive/getNInteractionDatas.shtml",
            formdata={
                "roadshowId": event["source_id"],
                "isPagination": "1",
                "type": "2",
                "page": str(page),
                "rows": str(QA_ROWS),
            },
            headers={"X-Requested-With": "XMLHttpRequest", "Referer": event["detail_url"]},
            callback=self.parse_qa,
            errback=self.event_failed,
            cb_kwargs={"event": event, "qa_page": page, "held": held, "qa": qa},
        )

    def parse_qa(
        self,
        response: Response,
        event: dict[str, Any],
        qa_page: int,
        held: dict[str, Any],
        qa: list[dict[str, Any]],
    ) -> Iterator[scrapy.Request | RecordItem]:
        """Collect the event's Q&A page by page, then fetch its page."""
        try:
            payload = json.loads(response.text)
            rows = payload["rows"] if isinstance(payload, dict) else None
        except (ValueError, AttributeError, KeyError):
            rows = None
        if not isinstance(rows, list) or response.status != 200:
            problem = f"Q&A page {qa_page} is not the JSON expected: {response.body[:200]!r}"
            yield self.failed_item(event, problem, logging.ERROR)
            return
        ids = [str(row.get("pid")) for row in rows if isinstance(row, dict)]
        if (earlier := self.repeats.earlier_page(event["source_id"], qa_page, ids)) is not None:
            self.crawler.stats.inc_value(f"{self.name}/repeated_pages")
            self.logger.error(
                "p5w Q&A page %d of %s repeats page %d: kept the pages before it",
                qa_page,
                event["source_id"],
                earlier,
            )
            rows = []
        else:
            held[f"qa-{qa_page}.json"] = (response.body, "application/json")
            qa.extend(qa_entry(row) for row in rows if isinstance(row, dict))
        total = int(payload.get("total") or 0)
        more = len(rows) == QA_ROWS and (not total or (qa_page + 1) * QA_ROWS < total)
        if more and qa_page + 1 < MAX_QA_PAGES:
            yield self.qa_request(event, qa_page + 1, held, qa)
            return
        yield scrapy.Request(
            event["detail_url"],
            callback=self.parse_event_page,
            errback=self.event_failed,
            cb_kwargs={"event": event, "held": held, "qa": qa},
        )

    def parse_event_page(
        self, response: Response, event: dict[str, Any], held: dict[str, Any], qa: list[Any]
    ) -> Iterator[RecordItem]:
        try:
            if response.status != 200:
                raise BadOriginal(f"HTTP {response.status} instead of the event page")
            check_original(response.body, "html")
        except BadOriginal as exc:
            yield self.failed_item(event, f"event page {response.url}: {exc}")
            return
        originals = {EVENT_PAGE: (response.body, "text/html"), **held}  # the page is the primary
        fields = empty_result("p5w-json", "ok")
        fields.update(event, qa=qa, held_originals=originals)
        yield self.record_item(**fields)

    def event_failed(self, failure: Failure) -> Iterator[RecordItem]:
        request = failure.request  # type: ignore[attr-defined]
        problem = f"could not fetch {request.url}: {failure.getErrorMessage()}"
        yield self.failed_item(request.cb_kwargs["event"], problem)

    def failed_item(
        self, event: dict[str, Any], problem: str, level: int = logging.WARNING
    ) -> RecordItem:
        """A record that says what went wrong; it is fetched again next run."""
        self.crawler.stats.inc_value(f"{self.name}/events_failed")
        self.logger.log(level, "p5w event %s: %s", event["source_id"], problem)
        return self.record_item(**event, error=problem)
