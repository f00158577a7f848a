"""An imitation of p5w's roadshow list, event Q&A, event pages and company search, over real
HTTP. Field names are the ones in tests/fixtures/samples/p5w_endpoints_field_inventory.md (checked
against it when a reply is built) and p5w_getNewR_row_FIXTURE.json."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from tests.paths import SAMPLES, fixture_file
from tests.servers.site import Received, Reply, Site, not_found

TYPE_NAMES = {"5": "业绩说明会", "12": "投资者说明会", "3": "集体接待日", "14": "资产重组说明会"}
LIST_KEYS = (
    "pid",
    "roadshowTitle",
    "roadshowUrl",
    "roadshowActiveHis",
    "roadshowDate",
    "roadshowTypeName",
    "perRealname",
    "companyShortname",
    "shareWXUrl",
)
QA_KEYS = ("pid", "speakUserName", "speakTime", "speakContent", "questionGuestName", "replyList")


def checked_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """``keys``, after checking that the field inventory still names every one of them."""
    inventory = fixture_file(SAMPLES / "p5w_endpoints_field_inventory.md").read_text("utf-8")
    missing = [k for k in keys if k not in inventory]
    if missing:
        raise ValueError(f"the p5w field inventory no longer names {missing}")
    return keys


def company_row(code: str, name: str, pid: str) -> dict[str, Any]:
    """A company-search row, with the keys of the getNewR sample row."""
    sample = json.loads(fixture_file(SAMPLES / "p5w_getNewR_row_FIXTURE.json").read_text("utf-8"))
    assert {"companyCode", "companyShortname", "pid"} <= sample.keys()
    return {"companyCode": code, "companyShortname": name, "pid": pid}


@dataclass
class Question:
    pid: str
    question: str
    asker: str
    asked: datetime
    answer: str | None = None
    answerer: str | None = None
    answered: datetime | None = None

    def row(self) -> dict[str, Any]:
        reply = None
        if self.answer is not None:
            reply = [
                {
                    "speakUserName": self.answerer,
                    "speakTime": self.answered.strftime("%Y-%m-%d %H:%M:%S"),
                    "speakContent": self.answer,
                }
            ]
        values = (self.pid, self.asker, self.asked.strftime("%Y-%m-%d %H:%M:%S"), self.question)
        return dict(zip(checked_keys(QA_KEYS), (*values, "", reply), strict=True))


@dataclass
class Event:
    pid: str
    code: str
    name: str
    title: str
    rtype: str
    when: datetime
    questions: list[Question] = field(default_factory=list)

    @property
    def page_path(self) -> str:
        return f"/html/{self.pid}.shtml"

    def page(self) -> bytes:
        return (
            f"<html><head><title>{self.title}</title></head><body><h1>{self.title}</h1>"
            f'<input type="hidden" id="roadshowId" value="{self.pid}"></body></html>'
        ).encode()

    def row(self) -> dict[str, Any]:
        values = (
            self.pid,
            self.title,
            self.page_path.lstrip("/"),
            "",
            self.when.strftime("%Y-%m-%d %H:%M"),
            TYPE_NAMES[self.rtype],
            "主持人",
            self.name,
            "",
        )
        return dict(zip(checked_keys(LIST_KEYS), values, strict=True))


@dataclass
class P5wSite(Site):
    samples: ClassVar[tuple[str, ...]] = (
        "p5w_endpoints_field_inventory.md",
        "p5w_getNewR_row_FIXTURE.json",
    )
    events: list[Event] = field(default_factory=list)
    ignore_type: bool = False  # answer every roadshowType with all events
    ignore_title: bool = False  # answer a title search with all events
    ignore_qa_page: bool = False  # answer every Q&A page with page 0
    broken_qa: set[str] = field(default_factory=set)  # event pids whose Q&A is a block page
    renamed: dict[str, str] = field(default_factory=dict)  # roadshow-list row renames, old -> new

    def answer(self, request: Received) -> Reply:
        if request.path == "/roadshow/getRoadshowList.shtml":
            return self.json(self.listing(request))
        if request.path == "/roadshowLive/getNInteractionDatas.shtml":
            pid = request.one("roadshowId")
            if pid in self.broken_qa:
                return 200, "<html><title>访问被拦截！</title></html>".encode(), "text/html"
            return self.json(self.qa(request, pid))
        if request.path == "/company/validCompanyJson.shtml":
            return self.json({"success": True, "obj": self.companies(request.one("keyword"))})
        for event in self.events:
            if request.path == event.page_path:
                return 200, event.page(), "text/html;charset=UTF-8"
        return not_found()

    def companies(self, keyword: str) -> list[dict[str, Any]]:
        """Fuzzy, like the real suggest box: every company whose code shares the keyword's first
        3 characters, or whose short name contains the keyword or is contained in it."""
        rows = [company_row(e.code, e.name, f"c{e.code}") for e in self.events]
        rows = [
            r
            for r in rows
            if r["companyCode"][:3] == keyword[:3]
            or (keyword and (keyword in r["companyShortname"] or r["companyShortname"] in keyword))
        ]
        return list({r["pid"]: r for r in rows}.values())

    @staticmethod
    def json(payload: Any) -> Reply:
        return 200, json.dumps(payload, ensure_ascii=False).encode(), "application/json"

    def listing(self, request: Received) -> dict[str, Any]:
        first, last = request.one("start"), request.one("end")
        rtype, title = request.one("roadshowType"), request.one("roadshowTitle")
        rows = [
            e
            for e in self.events
            if first <= e.when.date().isoformat() <= last
            and (self.ignore_type or e.rtype == rtype)
            and (self.ignore_title or title in e.title)
        ]
        rows.sort(key=lambda e: e.when, reverse=True)
        page, size = int(request.one("page") or 0), int(request.one("rows") or 10)
        chunk = rows[page * size : (page + 1) * size]
        renamed = [{self.renamed.get(k, k): v for k, v in e.row().items()} for e in chunk]
        return {"total": len(rows), "rows": renamed}

    def qa(self, request: Received, pid: str) -> dict[str, Any]:
        event = next((e for e in self.events if e.pid == pid), None)
        questions = event.questions if event else []
        page = 0 if self.ignore_qa_page else int(request.one("page") or 0)
        size = int(request.one("rows") or 10)
        chunk = questions[page * size : (page + 1) * size]
        pages = math.ceil(len(questions) / size)
        return {"total": len(questions), "pages": pages, "rows": [q.row() for q in chunk]}
