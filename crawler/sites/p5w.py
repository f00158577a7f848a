"""p5w 全景网 roadshow events (业绩说明会 and other P5W_ROADSHOW_TYPES) and their Q&A.

There is no file: the event list (``roadshow/getRoadshowList.shtml``, 0-based pages), each event's
Q&A (``roadshowLive/getNInteractionDatas.shtml``) and the event page are fetched here, and the raw
Q&A JSON and the page are handed to the archive as the record's originals. The record carries the
event fields and ``qa`` in the parsed documents' schema, so exports combine them.

``-a stock=`` resolves each code to its p5w short name (``company/validCompanyJson.shtml``), asks
the list for titles with that name and keeps only that company's events. The list's rows carry no
stock code: an event found on the whole market's list gets its company's code from the same
company search, by the short name (once per name in a run). An event not yet held is no record
yet: it is left for a later run.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.html import remove_tags

from crawler import clock
from crawler.items import RecordItem
from crawler.listing import Page, Query, Site, UnusableReply
from crawler.spiders.base import SHANGHAI
from crawler.spiders.guards import RepeatedPages
from pipelines.filetypes import BadOriginal, check_original
from pipelines.index import RunIndex
from pipelines.parser.checkboxes import OPTIONS
from pipelines.parser.result import empty_result
from pipelines.storage import crawler_archive

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
EVENT_FIELDS = (  # what event_of() reads from the list: a failed event is fetched again from them
    "source_id",
    "site",
    "stock_code",
    "stock_name",
    "title",
    "published_at",
    "detail_url",
    "activity_types",
    "activity_other",
    "start_date",
    "start_time",
)
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


class P5wEvents(Site):
    name = "p5w"
    first_page = 0
    page_size = LIST_ROWS
    row_fields = ("pid", ("roadshowDate", "roadshowDates"), "companyShortname")

    def __init__(self, spider: Any):
        super().__init__(spider)
        # events archived whole by earlier runs: their Q&A is not fetched again
        self.archived = RunIndex.load(crawler_archive(spider.crawler), spider.source)
        self.qa_repeats = RepeatedPages()
        self.codes: dict[str, str | None] = {}  # company short name -> stock code
        self.waiting: dict[str, list[dict[str, Any]]] = {}  # events waiting for their code

    @property
    def rs_url(self) -> str:
        return self.settings.get("P5W_RS_URL").rstrip("/")

    @property
    def ir_url(self) -> str:
        return self.settings.get("P5W_IR_URL").rstrip("/")

    @property
    def roadshow_types(self) -> list[str]:
        return [t.strip() for t in self.settings.getlist("P5W_ROADSHOW_TYPES") if t.strip()]

    def start(self) -> Iterator[scrapy.Request]:
        for code in self.spider.stocks:
            yield self.company_request(code, self.parse_company, {"code": code})
        if not self.spider.stocks:
            for window in self.spider.walk.todo():
                for rtype in self.roadshow_types:
                    yield self.listing.first(Query(window, scope=(rtype,)))

    def company_request(self, keyword: str, callback: Any, kwargs: dict[str, Any]) -> Any:
        return scrapy.FormRequest(
            self.ir_url + "/company/validCompanyJson.shtml",
            formdata={"keyword": keyword},
            callback=callback,
            errback=self.company_failed,
            cb_kwargs=kwargs,
            dont_filter=True,
        )

    def companies(self, response: Response) -> list[dict[str, Any]]:
        payload = self.spider.load_json(response, "company search")
        rows = payload.get("obj") if isinstance(payload, dict) else None
        return [row for row in rows or [] if isinstance(row, dict)]

    def parse_company(self, response: Response, code: str) -> Iterator[Any]:
        """The company's p5w short name; the suggest list is fuzzy, so match the code exactly."""
        matches = [row for row in self.companies(response) if str(row.get("companyCode")) == code]
        if not matches:
            self.spider.listing_error(response, f"stock {code} is unknown on p5w")
            for window in self.spider.walk.todo():
                self.spider.window_failed(window)
            return
        name = str(matches[0].get("companyShortname") or "")
        self.codes[name] = code
        for window in self.spider.walk.todo():
            for rtype in self.roadshow_types:
                yield self.listing.first(Query(window, code, scope=(rtype, name)))

    def parse_code(self, response: Response, name: str) -> Iterator[Any]:
        """The stock code of the company named ``name``, for the events waiting for it."""
        codes = [
            str(row.get("companyCode"))
            for row in self.companies(response)
            if str(row.get("companyShortname") or "") == name
        ]
        code = codes[0] if codes and re.fullmatch(r"\d{6}", codes[0]) else None
        if code is None:
            self.count("companies_without_code")
            self.spider.logger.warning("p5w company %s has no A-share code on p5w", name)
        self.codes[name] = code
        for event in self.waiting.pop(name, []):
            yield self.qa_request({**event, "stock_code": code}, 0, {}, [])

    def company_failed(self, failure: Failure) -> Iterator[Any]:
        self.spider.listing_failed(failure)
        request = failure.request  # type: ignore[attr-defined]
        if name := request.cb_kwargs.get("name"):
            for event in self.waiting.pop(name, []):
                yield self.failed_item(event, f"could not look up the code of {name}")
        for window in self.spider.walk.todo():
            self.spider.window_failed(window)

    def page_request(self, query: Query, page: int) -> scrapy.Request:
        form = {
            "perComType": "0",
            "roadshowType": query.scope[0],
            "companyType": "",
            "roadshowDate": "",
            "roadshowTitle": query.scope[1] if len(query.scope) > 1 else "",
            "start": query.window[0].isoformat(),
            "end": query.window[1].isoformat(),
            "stationId": "",
            "page": str(page),
            "rows": str(LIST_ROWS),
        }
        return scrapy.FormRequest(
            self.rs_url + "/roadshow/getRoadshowList.shtml",
            formdata=form,
            headers={"X-Requested-With": "XMLHttpRequest", "Referer": self.rs_url + "/roadshow"},
        )

    def read_page(self, response: Response, query: Query, page: int) -> Page:
        payload = self.spider.load_json(response, "event list", log=False)
        rows = payload.get("rows") if isinstance(payload, dict) else None
        if not isinstance(rows, list):
            raise UnusableReply(f"no 'rows' in the event list: {response.body[:200]!r}")
        total = payload.get("total")
        return Page(rows, total=int(total) if isinstance(total, int) else None)

    def row_id(self, row: dict[str, Any]) -> str | None:
        return str(row["pid"]) if row.get("pid") else None

    def row_output(self, row: Any, query: Query) -> Any:
        event = self.event_of(row, query)
        if event is None:
            return None
        name = event["stock_name"] or ""
        if event["stock_code"] or not name or name in self.codes:
            event["stock_code"] = event["stock_code"] or self.codes.get(name)
            return self.qa_request(event, 0, {}, [])
        first = name not in self.waiting
        self.waiting.setdefault(name, []).append(event)
        return self.company_request(name, self.parse_code, {"name": name}) if first else None

    def event_of(self, row: Any, query: Query) -> dict[str, Any] | None:
        """The event fields of a list row, or None (logged) when the row is not what was asked."""
        spider, window = self.spider, query.window
        if not isinstance(row, dict):
            row = {}
        when = p5w_time(row.get("roadshowDate") or row.get("roadshowDates"))
        url = str(row.get("roadshowUrl") or row.get("roadshowActiveHis") or "")
        if not row.get("pid") or when is None or not url:
            self.count("malformed_rows")
            spider.logger.warning("Skipping a p5w event without id, time or page: %r", row)
            return None
        pid, type_name = str(row["pid"]), row.get("roadshowTypeName")
        rtype, company = query.scope[0], query.scope[1:]
        expected = ROADSHOW_TYPES.get(rtype)
        name = str(row.get("companyShortname") or "")
        if (type_name and expected and type_name != expected) or (company and name != company[0]):
            self.count("foreign_rows")
            spider.logger.warning(
                "Skipping p5w event %s (%s, %s): asked for %s%s",
                pid,
                name,
                type_name,
                expected or rtype,
                f" of {company[0]}" if company else "",
            )
            return None
        if not window[0] <= when.date() <= window[1]:
            self.count("out_of_window_rows")
            spider.logger.warning(
                "Skipping p5w event %s: held %s, outside %s~%s", pid, when, *window
            )
            return None
        title = str(row.get("roadshowTitle") or "").strip()
        if when > clock.now(self.settings):
            self.count("events_not_yet_held")
            return None
        if not self.wanted(pid, title, listed_as_record=True):
            return None
        if self.archived.archived(self.source_id(pid)):
            self.count("already_archived_events")
            return None
        kind = type_name or expected or "其他"
        code = row.get("companyCode") or query.stock
        return {
            "source_id": self.source_id(pid),
            "site": self.name,
            "stock_code": str(code) if code else None,
            "stock_name": name or None,
            "title": title,
            "published_at": when.isoformat(),
            "detail_url": url if "://" in url else f"{self.rs_url}/{url.lstrip('/')}",
            "activity_types": [kind if kind in OPTIONS else "其他"],
            "activity_other": None if kind in OPTIONS else kind,
            "start_date": when.date().isoformat(),
            "start_time": when.strftime("%H:%M") if when.time() != datetime.min.time() else None,
        }

    def fetch_again(self, record: dict[str, Any]) -> scrapy.Request | None:
        """The Q&A request of an event whose record failed, rebuilt from that record."""
        if not record.get("detail_url"):
            return None
        return self.qa_request({k: record.get(k) for k in EVENT_FIELDS}, 0, {}, [])

    def qa_request(
        self, event: dict[str, Any], page: int, held: dict[str, Any], qa: list[dict[str, Any]]
    ) -> scrapy.FormRequest:
        return scrapy.FormRequest(
            self.rs_url + "/roadshowLive/getNInteractionDatas.shtml",
            formdata={
                "roadshowId": event["source_id"].removeprefix(f"{self.name}-"),
                "isPagination": "1",
                "type": "2",
                "page": str(page),
                "rows": str(QA_ROWS),
            },
            headers={"X-Requested-With": "XMLHttpRequest", "Referer": event["detail_url"]},
            callback=self.parse_qa,
            errback=self.event_failed,
            cb_kwargs={"event": event, "qa_page": page, "held": held, "qa": qa},
            dont_filter=True,
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
        if (earlier := self.qa_repeats.earlier_page(event["source_id"], qa_page, ids)) is not None:
            self.count("repeated_pages")
            self.spider.logger.error(
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
            dont_filter=True,
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
        yield self.spider.record_item(**fields)

    def event_failed(self, failure: Failure) -> Iterator[RecordItem]:
        request = failure.request  # type: ignore[attr-defined]
        problem = f"could not fetch {request.url}: {failure.getErrorMessage()}"
        yield self.failed_item(request.cb_kwargs["event"], problem)

    def failed_item(
        self, event: dict[str, Any], problem: str, level: int = logging.WARNING
    ) -> RecordItem:
        """A record that says what went wrong; it is fetched again next run."""
        self.count("events_failed")
        self.spider.logger.log(level, "p5w event %s: %s", event["source_id"], problem)
        return self.spider.record_item(**event, error=problem)
