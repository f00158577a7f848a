"""The bse spider end to end: bse.cn (JSONP) and cninfo full-text imitations -> SeaweedFS."""

from __future__ import annotations

import json
from datetime import date, datetime

from tests.archive_reader import LocalArchive, S3Archive, sha256
from tests.conftest import SHANGHAI, TINY_PDF, crawl_bse_stock, run_crawl
from tests.ir_docx import ir_record_docx
from tests.servers.bse import BseSite, Disclosure
from tests.servers.cninfo import Announcement

WINDOW = ("bse", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
DAY = date(2024, 5, 9)
PATH = "/disclosureInfoController/companyAnnouncement.do"


def disclosure(
    n: int, company: str = "920007", title: str = "投资者关系活动记录表", **kw
) -> Disclosure:
    body = kw.pop("body", None) or ir_record_docx(
        company, "酉立智能", f"北京{n}", "订单？", "饱满。"
    )
    return Disclosure(
        code=f"c5f0804783cd4393b8703ab1f419{n:04d}",
        company=company,
        name="酉立智能",
        title=f"[临时公告]酉立智能:{title}",
        day=kw.pop("day", DAY),
        body=body,
        extension=kw.pop("extension", "docx"),
        **kw,
    )


def test_bse_pages_filters_and_archives_docx(cninfo, bse, seaweed, bucket):
    site: BseSite = bse.site
    wanted = [disclosure(n) for n in range(21)]  # two pages of 20 for the 投资者关系 search
    old_code = disclosure(30, company="832000", title="调研活动记录表")
    report = disclosure(31, title="2023年年度报告")
    notice = disclosure(32, title="关于召开投资者关系活动的公告")
    neeq = disclosure(33, company="873301", market="0")  # a NEEQ company: the market filter held
    outside = disclosure(34, day=date(2024, 5, 20))
    site.disclosures = [*wanted, old_code, report, notice, neeq, outside]
    cninfo_copy = Announcement(
        announcement_id="1220000100",
        code="920007",
        name="酉立智能",
        org_id="gfbj0920007",
        published=datetime(2024, 5, 9, tzinfo=SHANGHAI),
        title="投资者关系活动记录表",
        body=TINY_PDF,
        page_column="BJZB",
        tab="fulltext",
    )
    cninfo.site.announcements = [cninfo_copy]

    result = run_crawl(
        cninfo,
        *WINDOW,
        archive=f"s3://{bucket}/",
        env={**seaweed.env(), "BSE_BASE_URL": bse.url},
    )

    assert result.returncode == 0, result.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    expected = {f"originals/bse/{d.code}.docx": d.body for d in [*wanted, old_code]}
    expected["originals/bse/cninfo-1220000100.pdf"] = TINY_PDF
    assert archive.keys("originals/") == sorted(expected)
    for key, body in expected.items():
        assert sha256(archive.read(key)) == sha256(body)
    first = json.loads(archive.read(f"records/bse/{wanted[0].code}.json"))
    assert (first["source"], first["source_id"], first["exchange"]) == (
        "bse",
        wanted[0].code,
        "BSE",
    )
    assert (first["stock_code"], first["stock_name"]) == ("920007", "酉立智能")
    assert first["title"] == "[临时公告]酉立智能:投资者关系活动记录表"
    assert first["published_at"] == "2024-05-09T00:00:00+08:00"
    assert first["file_url"] == f"{bse.url}{wanted[0].path}"
    assert first["parse"]["status"] == "ok" and first["location"] == "北京0"
    assert json.loads(archive.read(f"records/bse/{old_code.code}.json"))["stock_code"] == "832000"

    calls = site.received(PATH)
    by_key = {}
    for call in calls:
        by_key.setdefault(call.one("keyword"), []).append(call.one("page"))
    assert {k: sorted(v) for k, v in by_key.items()} == {
        "投资者关系": ["0", "1"],
        "调研": ["0"],
        "说明会": ["0"],
    }
    assert {(c.one("startTime"), c.one("endTime"), c.query["callback"][0]) for c in calls} == {
        ("2024-05-08", "2024-05-10", "jsonp")
    }
    assert all(c.form["xxfcbj[]"] == ["2"] for c in calls)
    assert "'bse/not_ir_record_titles': 1" in result.stderr


def test_bse_guards_ignored_company_filter_repeated_pages_and_old_shape(cninfo, bse, tmp_path):
    site: BseSite = bse.site
    ours = [disclosure(n, title="投资者关系活动记录表") for n in range(25)]
    theirs = disclosure(50, company="920099")
    site.disclosures = [theirs, *ours]
    site.ignore_company = site.ignore_page = site.old_shape = True
    cninfo.site.announcements = []

    result = crawl_bse_stock(cninfo, bse, *WINDOW, archive=str(tmp_path))

    assert result.returncode == 1
    assert f"Skipping bse.cn row {theirs.code} of 920099 (market 2): asked for 920007" in (
        result.stderr
    )
    assert "bse page 1 of 2024-05-08~2024-05-10 920007 repeats page 0 (paging ignored)" in (
        result.stderr
    )
    first_page = sorted([theirs, *ours], key=lambda d: (d.day, d.code), reverse=True)[:20]
    assert LocalArchive(tmp_path).keys("records/") == sorted(
        f"records/bse/{d.code}.json" for d in first_page if d is not theirs
    )
    assert {c.one("companyCd") for c in site.received(PATH)} == {"920007"}


def test_bse_block_page_is_a_clear_error(cninfo, bse, tmp_path):
    bse.site.broken = True
    result = run_crawl(cninfo, *WINDOW, archive=str(tmp_path), env={"BSE_BASE_URL": bse.url})
    assert result.returncode == 1
    assert "Listing failed: bse page 0 of 2024-05-08~2024-05-10 投资者关系: not JSONP" in (
        result.stderr
    )
