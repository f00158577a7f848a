"""An imitation of bse.cn's announcement list (``companyAnnouncement.do``, JSONP, 0-based pages of
20) and its file host, over real HTTP. Replies copy the wrapper and row fields of the real page
in tests/fixtures/samples/bse_announcement_page.json (or, with ``old_shape``, of the 2021 NEEQ
reply)."""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from tests.paths import SAMPLES, fixture_file
from tests.servers.site import Received, Reply, Site, not_found

PAGE_SIZE = 20


def sample_payload(name: str) -> Any:
    text = fixture_file(SAMPLES / name).read_text("utf-8")
    match = re.match(r"^\s*[\w$.]*\((.*)\)\s*;?\s*$", text, re.S)
    if not match:
        raise ValueError(f"{name} is not JSONP any more")
    return json.loads(match.group(1))


@dataclass
class Disclosure:
    code: str  # disclosureCode, also the file's name
    company: str  # companyCd
    name: str
    title: str  # disclosureTitle, with the [临时公告] prefix
    day: date
    body: bytes | None
    extension: str = "pdf"
    market: str = "2"  # xxfcbj

    @property
    def path(self) -> str:
        return f"/disclosure/{self.day.year}/{self.day.isoformat()}/{self.code}.{self.extension}"

    def row(self, template: dict[str, Any]) -> dict[str, Any]:
        row = copy.deepcopy(template)
        row.update(
            disclosureCode=self.code,
            disclosureTitle=self.title,
            disclosurePostTitle="",
            companyCd=self.company,
            companyName=self.name,
            publishDate=self.day.isoformat(),
            fileExt=self.extension,
            destFilePath=self.path,
            xxfcbj=self.market,
        )
        return row


@dataclass
class BseSite(Site):
    samples: ClassVar[tuple[str, ...]] = (
        "bse_announcement_page.json",
        "bse_neeq_infoResult_jsonp_2021-07-19.txt",
    )
    disclosures: list[Disclosure] = field(default_factory=list)
    ignore_company: bool = False  # answer a company query with every company's rows
    ignore_page: bool = False  # answer every page with page 0
    old_shape: bool = False  # the 2021 ``[{"listInfo": ...}]`` reply
    broken: bool = False  # an HTML block page instead of JSONP

    def answer(self, request: Received) -> Reply:
        if request.path == "/disclosureInfoController/companyAnnouncement.do":
            if self.broken:
                return 200, "<html><title>访问被拦截！</title></html>".encode(), "text/html"
            body = f"{request.one('callback') or 'null'}({json.dumps(self.listing(request))})"
            return 200, body.encode(), "text/javascript;charset=UTF-8"
        for d in self.disclosures:
            if request.path == d.path and d.body is not None:
                return 200, d.body, "application/octet-stream"
        return not_found()

    def listing(self, request: Received) -> Any:
        first = date.fromisoformat(request.one("startTime"))
        last = date.fromisoformat(request.one("endTime"))
        company, keyword = request.one("companyCd"), request.one("keyword")
        markets = request.form.get("xxfcbj[]") or []
        rows = [
            d
            for d in self.disclosures
            if first <= d.day <= last
            and (not company or self.ignore_company or d.company == company)
            and keyword in d.title
            and (not markets or d.market in markets)
        ]
        rows.sort(key=lambda d: (d.day, d.code), reverse=True)
        page = 0 if self.ignore_page else int(request.one("page") or 0)
        chunk = rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        pages = math.ceil(len(rows) / PAGE_SIZE)
        if self.old_shape:
            payload = sample_payload("bse_neeq_infoResult_jsonp_2021-07-19.txt")
            info = payload[0]["listInfo"]
            template = info["content"][0]
            info.update(content=[d.row(template) for d in chunk], totalPages=pages)
            info.update(totalElements=len(rows), number=page, size=PAGE_SIZE)
            return payload
        payload = sample_payload("bse_announcement_page.json")
        data = payload["data"]
        group = data["content"][0]
        template = group["disclosures"][0]
        group.update(disclosures=[d.row(template) for d in chunk], totalElements=len(rows))
        data.update(content=[group], totalPages=pages, totalElements=len(rows), number=page)
        return payload
