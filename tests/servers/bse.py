"""An imitation of bse.cn's announcement list (``companyAnnouncement.do``, JSONP, 0-based pages of
20) and its file host, over real HTTP. Replies copy the wrapper and row fields of the real page
in tests/fixtures/samples/bse_announcement_page.json (or, with ``old_shape``, of the 2021 NEEQ
reply). With ``cookie_gate`` the listing wants the visit cookie the announcement page sets, as
the real site's WAF does."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, ClassVar

from tests.paths import SAMPLES, fixture_file
from tests.servers.site import Received, Reply, Site, not_found

PAGE_SIZE = 20
SHANGHAI = timezone(timedelta(hours=8))
LISTING = "/disclosureInfoController/companyAnnouncement.do"
COOKIE_PAGE = "/disclosure/announcement.html"  # always sets the visit cookie, as the real page
COOKIE = "acw_tc"
COOKIE_HTML = "<html><head><title>公告信息</title></head><body><div id='list'></div></body></html>"
EDITED_AFTER = timedelta(days=3, hours=5)  # ``edited_later``: upDate this long after publication


def sample_payload(name: str) -> Any:
    text = fixture_file(SAMPLES / name).read_text("utf-8")
    match = re.match(r"^\s*[\w$.]*\((.*)\)\s*;?\s*$", text, re.S)
    if not match:
        raise ValueError(f"{name} is not JSONP any more")
    return json.loads(match.group(1))


def java_date(moment: datetime) -> dict[str, int]:
    """``moment`` as the site's Java serialises a Date (month from 0, year from 1900)."""
    return {
        "date": moment.day,
        "day": (moment.weekday() + 1) % 7,
        "hours": moment.hour,
        "minutes": moment.minute,
        "month": moment.month - 1,
        "seconds": moment.second,
        "time": int(moment.timestamp() * 1000),
        "timezoneOffset": -480,
        "year": moment.year - 1900,
    }


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
    def published(self) -> datetime:
        """The upload moment the real site names the file by: 15:30:11 of the publication day."""
        return datetime.combine(self.day, time(15, 30, 11), SHANGHAI)

    @property
    def path(self) -> str:
        return f"/disclosure/{self.day.year}/{self.day.isoformat()}/{self.code}.{self.extension}"

    @property
    def real_path(self) -> str:
        """The real pattern ``<epoch seconds of the upload>_<6 digits>``, 6 digits from the code."""
        digits = int(hashlib.sha256(self.code.encode()).hexdigest(), 16) % 10**6
        name = f"{int(self.published.timestamp())}_{digits:06d}"
        return f"/disclosure/{self.day.year}/{self.day.isoformat()}/{name}.{self.extension}"

    def row(self, template: dict[str, Any], real_path: bool, edited_later: bool) -> dict[str, Any]:
        row = copy.deepcopy(template)
        if edited_later:
            row["upDate"] = java_date(self.published + EDITED_AFTER)
        row.update(
            disclosureCode=self.code,
            disclosureTitle=self.title,
            disclosurePostTitle="",
            companyCd=self.company,
            companyName=self.name,
            publishDate=self.day.isoformat(),
            fileExt=self.extension,
            destFilePath=self.real_path if real_path else self.path,
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
    cookie_gate: bool = False  # a listing without an issued COOKIE: 302 to COOKIE_PAGE
    cookie_uses: int = 0  # with cookie_gate, > 0: listing requests an issued cookie is good for
    edited_later: bool = False  # rows carry upDate, EDITED_AFTER their publication
    renamed: dict[str, str] = field(default_factory=dict)  # row field renames, old -> new
    real_file_names: bool = False  # destFilePath is Disclosure.real_path (named by upload time)
    issued: dict[str, int] = field(default_factory=dict)  # cookie token -> listing uses left

    @property
    def cookie_visits(self) -> int:
        """How many times COOKIE_PAGE was fetched."""
        return len(self.received(COOKIE_PAGE))

    def admitted(self, request: Received) -> bool:
        """Whether ``request`` carries a cookie this site issued and that has uses left."""
        pairs = (p.strip().partition("=") for p in request.headers.get("Cookie", "").split(";"))
        token = {name: value for name, _, value in pairs}.get(COOKIE)
        with self.lock:
            if token not in self.issued:
                return False
            if self.cookie_uses:
                self.issued[token] -= 1
                if not self.issued[token]:
                    del self.issued[token]
            return True

    def answer(self, request: Received) -> Reply:
        if request.path == COOKIE_PAGE:
            token = secrets.token_hex(16)
            with self.lock:
                self.issued[token] = self.cookie_uses
            cookie = {"Set-Cookie": f"{COOKIE}={token}; Path=/"}
            return 200, COOKIE_HTML.encode(), "text/html;charset=UTF-8", cookie
        if request.path == LISTING:
            if self.cookie_gate and not self.admitted(request):
                return 302, b"", "text/html", {"Location": COOKIE_PAGE}
            if self.broken:
                return 200, "<html><title>访问被拦截！</title></html>".encode(), "text/html"
            body = f"{request.one('callback') or 'null'}({json.dumps(self.listing(request))})"
            return 200, body.encode(), "text/javascript;charset=UTF-8"
        for d in self.disclosures:
            served = d.real_path if self.real_file_names else d.path
            if request.path == served and d.body is not None:
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
            info.update(content=[self.row(d, template) for d in chunk], totalPages=pages)
            info.update(totalElements=len(rows), number=page, size=PAGE_SIZE)
            return payload
        payload = sample_payload("bse_announcement_page.json")
        data = payload["data"]
        group = data["content"][0]
        template = group["disclosures"][0]
        group.update(disclosures=[self.row(d, template) for d in chunk], totalElements=len(rows))
        data.update(content=[group], totalPages=pages, totalElements=len(rows), number=page)
        return payload

    def row(self, disclosure: Disclosure, template: dict[str, Any]) -> dict[str, Any]:
        row = disclosure.row(template, self.real_file_names, self.edited_later)
        return {self.renamed.get(k, k): v for k, v in row.items()}
