"""The sse spider end to end: e互动 and cninfo full-text imitations -> crawl -> SeaweedFS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.archive_reader import LocalArchive, S3Archive, sha256
from tests.conftest import SHANGHAI, TINY_PDF, run_crawl
from tests.ir_docx import ir_record_docx
from tests.servers.cninfo import Announcement
from tests.servers.site import SiteServer
from tests.servers.sseinfo import Posting, SseinfoSite

WINDOW = ("sse", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
DAY = datetime(2024, 5, 9, 16, 48, tzinfo=SHANGHAI)


@pytest.fixture
def sseinfo() -> Iterator[SiteServer]:
    with SiteServer(SseinfoSite()) as server:
        yield server


def env_for(sseinfo: SiteServer, **extra: str) -> dict[str, str]:
    return {"SSEINFO_BASE_URL": sseinfo.url, **extra}


def posting(n: int, code: str = "600519", when: datetime = DAY, **kw) -> Posting:
    body = kw.pop("body", None) or ir_record_docx(
        code, "贵州茅台", f"会议室{n}", "产能？", "充足。"
    )
    return Posting(
        item_id=str(900000 + n),
        code=code,
        name=kw.pop("name", "贵州茅台"),
        uid="519" if code == "600519" else f"9{code[-3:]}",
        when=when - timedelta(minutes=n),
        title=f"{code}投资者关系活动记录表{n}",
        body=body,
        **kw,
    )


def fulltext(aid: str, code: str, title: str, body: bytes, org: str = "gssh0") -> Announcement:
    return Announcement(
        announcement_id=aid,
        code=code,
        name="贵州茅台" if code == "600519" else "平安银行",
        org_id=f"{org}{code}",
        published=DAY.replace(hour=0, minute=0),
        title=title,
        body=body,
        adjunct_type="DOCX",
        extension="DOCX",
        page_column="SHZB" if code.startswith("6") else "SZZB",
        tab="fulltext",
    )


def record(archive, source: str, source_id: str) -> dict:
    return json.loads(archive.read(f"records/{source}/{source_id}.json"))


def test_sse_archives_sseinfo_postings_and_cninfo_fulltext_docx(cninfo, sseinfo, seaweed, bucket):
    site: SseinfoSite = sseinfo.site
    wanted = [posting(n) for n in range(8)]
    wanted.append(posting(8, code="688008", name="澜起科技", body=TINY_PDF, extension="pdf"))
    newer = posting(20, when=DAY + timedelta(days=3))
    foreign = posting(9, code="000001", name="平安银行")
    older = posting(30, when=DAY - timedelta(days=8))  # before the window: paging stops here
    rules = replace(posting(10), title="贵州茅台投资者关系管理制度(2024年修订)")
    site.postings = [*wanted, newer, foreign, rules, older]
    ir = fulltext(
        "1220000001",
        "600519",
        "贵州茅台：投资者关系活动记录表",
        ir_record_docx("600519", "贵州茅台", "上海路演", "分红？", "稳定。"),
    )
    notice = fulltext("1220000002", "600519", "关于召开2023年度业绩说明会的公告", TINY_PDF)
    szse = fulltext("1220000003", "000001", "平安银行投资者关系活动记录表", TINY_PDF, "gssz0")
    cninfo.site.announcements = [ir, notice, szse]

    result = run_crawl(
        cninfo, *WINDOW, archive=f"s3://{bucket}/", env={**seaweed.env(), **env_for(sseinfo)}
    )

    assert result.returncode == 0, result.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    expected = {f"originals/sse/{p.item_id}.docx": p.body for p in wanted[:8]}
    expected[f"originals/sse/{wanted[8].item_id}.pdf"] = TINY_PDF
    expected["originals/sse/cninfo-1220000001.docx"] = ir.body
    assert archive.keys("originals/") == sorted(expected)
    for key, body in expected.items():
        assert sha256(archive.read(key)) == sha256(body)
    assert archive.keys("digests/") == sorted(
        f"digests/{sha256(b)}.json" for b in expected.values()
    )

    first = record(archive, "sse", wanted[0].item_id)
    assert (first["source"], first["site"]) == ("sse", "sseinfo")
    assert (first["exchange"], first["stock_code"]) == ("SSE", "600519")
    assert first["stock_name"] == "贵州茅台"
    assert first["title"] == wanted[0].title
    assert first["published_at"] == wanted[0].when.isoformat()
    assert first["file_url"] == f"{sseinfo.url}{wanted[0].path}"
    assert first["file"]["content_type"].endswith("wordprocessingml.document")
    assert first["parse"]["status"] == "ok" and first["parse"]["format"] == "docx"
    assert first["location"] == "会议室0"
    assert first["qa"] == [{"question": "产能？", "answer": "充足。"}]
    assert "duplicate_of" not in first
    star = record(archive, "sse", wanted[8].item_id)
    assert (star["stock_code"], star["exchange"]) == ("688008", "SSE")

    announcement = record(archive, "sse", "cninfo-1220000001")
    assert (announcement["source"], announcement["site"]) == ("sse", "cninfo")
    assert (announcement["exchange"], announcement["location"]) == ("SSE", "上海路演")
    assert announcement["parse"]["format"] == "docx"

    pages = [r.one("page") for r in site.received("/ajax/feeds.do")]
    assert pages == ["1", "2"]
    assert all(r.one("type") == "30" for r in site.received("/ajax/feeds.do"))
    forms = [f for _, path, f in cninfo.site.requests if path == "/new/hisAnnouncement/query"]
    assert {f["searchkey"] for f in forms} == {"投资者关系", "调研", "说明会"}
    assert {(f["tabName"], f["column"], f["plate"], f["seDate"]) for f in forms} == {
        ("fulltext", "sse", "sh", "2024-05-08~2024-05-10")
    }
    assert "Skipping e互动 posting 900009 of 000001: asked for SSE" in result.stderr
    assert "Skipping 1220000003: 000001 is not on ['SSE']" in result.stderr
    assert "'sse/not_ir_record_titles': 2" in result.stderr  # the notice and the rules


def test_sse_stock_feed_guards_foreign_rows_and_repeated_pages(cninfo, sseinfo, tmp_path):
    site: SseinfoSite = sseinfo.site
    ours = [posting(n) for n in range(12)]
    theirs = posting(40, code="601318", name="中国平安", when=DAY + timedelta(hours=1))
    site.postings = [*ours, theirs]
    site.ignore_uid = True  # the whole market's postings come back for one company
    site.ignore_page = True  # and page 2 is page 1 again
    cninfo.site.announcements = [fulltext("1220000009", "600519", "调研活动记录", TINY_PDF)]

    result = run_crawl(
        cninfo, *WINDOW, "-a", "stock=600519", archive=str(tmp_path), env=env_for(sseinfo)
    )

    assert result.returncode == 1
    assert [r.one("data") for r in site.received("/ajax/getCompany.do")] == ["600519"]
    feeds = site.received("/ajax/userfeeds.do")
    assert [(r.one("uid"), r.one("page")) for r in feeds] == [("519", "1"), ("519", "2")]
    assert "Skipping e互动 posting 900040 of 601318: asked for 600519" in result.stderr
    assert "sseinfo page 2 of 2024-05-08~2024-05-10 600519 519 repeats page 1" in result.stderr
    archive = LocalArchive(tmp_path)
    page_one = [f"records/sse/{p.item_id}.json" for p in ours[:9]]  # and theirs
    assert archive.keys("records/sse/") == sorted([*page_one, "records/sse/cninfo-1220000009.json"])
    # the full-text tab is asked for the stock alone: a search key would miss titles without it
    forms = [f for _, path, f in cninfo.site.requests if path == "/new/hisAnnouncement/query"]
    assert {(f["stock"], f["searchkey"]) for f in forms} == {("600519,gssh0600519", "")}


def test_blocked_feed_is_an_error_and_cninfo_goes_on(cninfo, sseinfo, tmp_path):
    sseinfo.site.blocked = True
    cninfo.site.announcements = [fulltext("1220000010", "600519", "投资者关系活动记录表", TINY_PDF)]

    result = run_crawl(cninfo, *WINDOW, archive=str(tmp_path), env=env_for(sseinfo))

    assert result.returncode == 1
    assert "no postings in the e互动 feed" in result.stderr and "访问被拦截" in result.stderr
    assert LocalArchive(tmp_path).keys("records/") == ["records/sse/cninfo-1220000010.json"]
