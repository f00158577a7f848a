"""An imitation of 上证e互动's postings feeds (``ajax/feeds.do``, ``ajax/userfeeds.do``) and
``ajax/getCompany.do``, over real HTTP. The posting markup is the block structure of the feed
sample in tests/fixtures/samples (``m_feed_item`` / ``m_feed_txt`` / ``m_feed_from``), with the
company's file link where a question's text would be."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import ClassVar

from tests.paths import SAMPLES, fixture_file
from tests.servers.site import Received, Reply, Site, not_found

PAGE_SIZE = 10
END_OF_FEED = "<div class='m_feed_nomore'>暂时没有上市公司发布</div>".encode()


def posting_template() -> str:
    """The first ``m_feed_detail`` block of the sample feed, with placeholders."""
    html = fixture_file(SAMPLES / "sseinfo_userfeeds_type11_FIXTURE.html").read_text("utf-8")
    item = re.search(r'<div class="m_feed_item" id="item-\d+">', html)
    detail = re.search(r'<div class="m_feed_detail".*?</div>\s*</div>', html, re.S)
    if not item or not detail or "m_feed_from" not in detail.group(0):
        raise ValueError("the e互动 feed sample no longer has the markup the imitation copies")
    block = detail.group(0)
    block = re.sub(r"<a href='user\.do\?uid=\d+' >[^<]*</a>[^<]*", "{link}", block)
    block = re.sub(r"<span>[^<]*</span>", "<span>{when}</span>", block)
    face = '<div class="m_feed_face"><img src="/upload/logo/{code}.png?v=1"><p>{name}</p></div>'
    return item.group(0).replace(re.search(r"\d+", item.group(0)).group(0), "{item_id}") + (
        face + block + "</div>"
    )


@dataclass
class Posting:
    item_id: str
    code: str
    name: str
    uid: str
    when: datetime
    title: str
    body: bytes | None
    extension: str = "docx"
    when_text: str | None = None  # as the feed shows it, default ``YYYY年MM月DD日 HH:MM``

    @property
    def path(self) -> str:
        return f"/upload/files/{self.item_id}.{self.extension}"

    def html(self, template: str) -> str:
        link = (
            f"<a href='user.do?uid={self.uid}' >:{escape(self.name)}({self.code})</a>"
            f"<a href='{self.path}' target='_blank'>{escape(self.title)}</a>"
        )
        when = self.when_text or self.when.strftime("%Y年%m月%d日 %H:%M")
        return template.format(
            item_id=self.item_id, code=self.code, name=escape(self.name), link=link, when=when
        )


@dataclass
class SseinfoSite(Site):
    samples: ClassVar[tuple[str, ...]] = ("sseinfo_userfeeds_type11_FIXTURE.html",)
    postings: list[Posting] = field(default_factory=list)
    ignore_uid: bool = False  # answer a company feed with the whole market's postings
    ignore_page: bool = False  # answer every page with page 1
    blocked: bool = False  # a WAF page instead of the feed
    broken_markup: bool = False  # postings without their m_feed_face block (logo, company name)

    def answer(self, request: Received) -> Reply:
        if request.path == "/ajax/getCompany.do":
            code = request.one("data")
            uid = next((p.uid for p in self.postings if p.code == code), None)
            return (200, uid.encode(), "text/html") if uid else (200, b"", "text/html")
        if request.path in ("/ajax/feeds.do", "/ajax/userfeeds.do"):
            if self.blocked:
                return 200, "<html><title>访问被拦截！</title></html>".encode(), "text/html"
            return 200, self.feed(request), "text/html;charset=UTF-8"
        for posting in self.postings:
            if request.path == posting.path and posting.body is not None:
                return 200, posting.body, "application/octet-stream"
        return not_found()

    def feed(self, request: Received) -> bytes:
        rows = sorted(self.postings, key=lambda p: p.when, reverse=True)
        if request.path == "/ajax/userfeeds.do" and not self.ignore_uid:
            rows = [p for p in rows if p.uid == request.one("uid")]
        page = 1 if self.ignore_page else int(request.one("page") or 1)
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if not chunk:
            return END_OF_FEED
        template = posting_template()
        if self.broken_markup:
            template = re.sub(r'<div class="m_feed_face">.*?</div>', "", template)
        return "\n".join(p.html(template) for p in chunk).encode()
