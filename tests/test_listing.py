"""The shared listing layer (crawler/listing.py) through the spiders, against imitations of the
sites' quirks: a listing that repeats its pages, loses rows, or renamed a field fails the run
with a line that says so and leaves its window unfinished; bse.cn's cookie; bse and p5w fields."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from tests.archive_reader import LocalArchive
from tests.conftest import (
    SHANGHAI,
    TINY_PDF,
    crawl_bse_stock,
    make_announcements,
    p5w_env,
    run_crawl,
)
from tests.servers.bse import BseSite, Disclosure
from tests.servers.p5w import Event

WINDOW = ("-a", "start=2024-05-08", "-a", "end=2024-05-10")
BACKFILL = {"BACKFILL_WINDOW_DAYS": "1"}  # three windows, so a failed one is left to resume
SERIAL = {**BACKFILL, "CONCURRENT_REQUESTS": "1"}  # listings requested in window order


def last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


def finished_windows(archive: LocalArchive, spider: str) -> list[str]:
    (key,) = archive.keys(f"state/{spider}/backfill/")
    return json.loads(archive.read(key))["finished"]


def bse_disclosure(n: int, title: str = "投资者关系活动记录表", day: date = date(2024, 5, 9)):
    return Disclosure(
        code=f"{n:032x}",
        company="920007",
        name="酉立智能",
        title=f"[临时公告]酉立智能:{title}",
        day=day,
        body=TINY_PDF[:-10] + f"%{n:08d}\n".encode(),
    )


def test_repeated_cninfo_pages_fail_the_run_and_leave_the_window_unfinished(cninfo, tmp_path):
    cninfo.site.announcements = make_announcements(45, body=TINY_PDF)  # two pages of 30
    cninfo.site.ignore_page = True

    result = run_crawl(cninfo, "cninfo", *WINDOW, archive=str(tmp_path), settings=BACKFILL)

    assert result.returncode == 1
    assert "cninfo page 2 of 2024-05-09~2024-05-09 repeats page 1 (paging ignored)" in (
        result.stderr
    )
    archive = LocalArchive(tmp_path)
    assert len(archive.keys("records/")) == 30
    # the other two days were listed whole; 2024-05-09 is listed again by the next run
    assert finished_windows(archive, "cninfo") == ["2024-05-08~2024-05-08", "2024-05-10~2024-05-10"]
    assert archive.keys("state/cninfo/watermark.json") == []


def test_a_listing_that_loses_rows_fails_the_run(cninfo, tmp_path):
    cninfo.site.announcements = make_announcements(40, body=TINY_PDF)
    cninfo.site.lose_rows = 5  # counted in the totals, never served

    result = run_crawl(cninfo, "cninfo", *WINDOW, archive=str(tmp_path))

    assert result.returncode == 1
    assert "Listing of 2024-05-08~2024-05-10 on cninfo gave 35 rows of the 40" in result.stderr
    assert len(LocalArchive(tmp_path).keys("records/")) == 35


@pytest.mark.parametrize(
    ("spider", "site", "renamed", "field"),
    [
        ("cninfo", "cninfo", {"secCode": "stockCode"}, "secCode"),
        ("bse", "bse", {"companyCd": "companyCode"}, "companyCd"),
        ("p5w", "p5w", {"pid": "roadshowId"}, "pid"),
    ],
)
def test_a_renamed_listing_field_fails_the_run_naming_it(
    cninfo, bse, p5w, tmp_path, spider, site, renamed, field
):
    cninfo.site.announcements = make_announcements(3, body=TINY_PDF)
    bse.site.disclosures = [bse_disclosure(1)]
    when = datetime(2024, 5, 9, 15, tzinfo=SHANGHAI)
    p5w.site.events = [Event("R1", "001205", "盛航股份", "盛航股份业绩说明会", "5", when)]
    {"cninfo": cninfo, "bse": bse, "p5w": p5w}[site].site.renamed = renamed
    env = {"BSE_BASE_URL": bse.url, "P5W_RS_URL": p5w.url, "P5W_IR_URL": p5w.url}

    result = run_crawl(cninfo, spider, *WINDOW, archive=str(tmp_path), env=env)

    assert result.returncode == 1
    assert f"{site} listing changed shape: no '{field}' in any of" in last_line(result)
    assert LocalArchive(tmp_path).keys(f"records/{spider}/") == []


def test_bse_cookie_is_fetched_first_and_again_when_the_site_answers_html(cninfo, bse, tmp_path):
    site: BseSite = bse.site
    site.cookie_gate = True
    site.cookie_uses = 2  # a cookie is good for two listing requests, then the site redirects
    site.disclosures = [bse_disclosure(n) for n in range(45)]  # three pages of the first key

    result = run_crawl(cninfo, "bse", *WINDOW, archive=str(tmp_path), env={"BSE_BASE_URL": bse.url})

    assert result.returncode == 0, result.stderr[-3000:]
    assert len(LocalArchive(tmp_path).keys("records/bse/")) == 45
    listings = site.received("/disclosureInfoController/companyAnnouncement.do")
    # five listing pages (3 + 1 + 1 keys) at two per cookie: at least three cookie visits
    assert site.cookie_visits >= 3
    assert site.received("/disclosure/announcement.html")[0] is site.requests[0]
    assert len(listings) > 5  # the ones redirected were asked again


def test_bse_record_is_published_at_publication_not_last_edit(cninfo, bse, tmp_path):
    site: BseSite = bse.site
    site.edited_later = site.real_file_names = True
    site.disclosures = [bse_disclosure(1)]

    result = run_crawl(cninfo, "bse", *WINDOW, archive=str(tmp_path), env={"BSE_BASE_URL": bse.url})

    assert result.returncode == 0, result.stderr[-3000:]
    (key,) = LocalArchive(tmp_path).keys("records/bse/")
    record = json.loads(LocalArchive(tmp_path).read(key))
    assert record["published_at"] == "2024-05-09T15:30:11+08:00"  # the upload the file is named by


def test_bse_stock_query_asks_for_the_company_without_a_search_key(cninfo, bse, tmp_path):
    site: BseSite = bse.site
    untitled = bse_disclosure(2, title="2024年5月9日-10日机构调研及业绩交流会纪要")
    site.disclosures = [bse_disclosure(1), untitled]

    result = crawl_bse_stock(cninfo, bse, "bse", *WINDOW, archive=str(tmp_path))

    assert result.returncode == 0, result.stderr[-3000:]
    calls = site.received("/disclosureInfoController/companyAnnouncement.do")
    assert {(c.one("companyCd"), c.one("keyword")) for c in calls} == {("920007", "")}
    assert len(LocalArchive(tmp_path).keys("records/bse/")) == 2


def test_p5w_whole_market_events_get_their_company_code(cninfo, p5w, tmp_path):
    when = datetime(2024, 5, 9, 15, tzinfo=SHANGHAI)
    p5w.site.events = [
        Event("R1", "001205", "盛航股份", "盛航股份2023年度业绩说明会", "5", when),
        Event("R2", "001205", "盛航股份", "盛航股份投资者说明会", "12", when),
        Event("R3", "688008", "澜起科技", "澜起科技2023年度业绩说明会", "5", when),
    ]

    result = run_crawl(cninfo, "p5w", *WINDOW, archive=str(tmp_path), env=p5w_env(p5w))

    assert result.returncode == 0, result.stderr[-3000:]
    archive = LocalArchive(tmp_path)
    codes = {
        key: (r["stock_code"], r["stock_name"], r["exchange"])
        for key in archive.keys("records/p5w/")
        for r in [json.loads(archive.read(key))]
    }
    assert codes == {
        "records/p5w/R1.json": ("001205", "盛航股份", "SZSE"),
        "records/p5w/R2.json": ("001205", "盛航股份", "SZSE"),
        "records/p5w/R3.json": ("688008", "澜起科技", "SSE"),
    }
    # one company search per company, not per event
    searches = [r.one("keyword") for r in p5w.site.received("/company/validCompanyJson.shtml")]
    assert sorted(searches) == ["澜起科技", "盛航股份"]


def test_a_listing_answered_403_fails_the_run_and_its_window(cninfo, tmp_path):
    cninfo.site.announcements = [
        *make_announcements(2, day="2024-05-08", body=TINY_PDF),
        *make_announcements(2, day="2024-05-10", start_id=1230000000, body=TINY_PDF),
    ]
    cninfo.site.listing_statuses = [403]  # the first listing request: the earliest window's

    result = run_crawl(cninfo, "cninfo", *WINDOW, archive=str(tmp_path), settings=SERIAL)

    assert result.returncode == 1
    assert "Ignoring response <403" not in result.stderr
    assert "the listing answered with an HTTP error" in result.stderr
    (summary,) = [k for k in LocalArchive(tmp_path).keys("runs/") if k.endswith(".summary.json")]
    windows = json.loads(LocalArchive(tmp_path).read(summary))["windows"]
    assert windows == {"total": 3, "finished": 2, "failed": ["2024-05-08~2024-05-08"]}
    archive = LocalArchive(tmp_path)
    assert finished_windows(archive, "cninfo") == ["2024-05-09~2024-05-09", "2024-05-10~2024-05-10"]
    assert len(archive.keys("records/")) == 2  # 2024-05-10's; 2024-05-08 is listed next run
    assert archive.keys("state/cninfo/watermark.json") == []

    again = run_crawl(cninfo, "cninfo", *WINDOW, archive=str(tmp_path), settings=BACKFILL)

    assert again.returncode == 0, again.stderr[-3000:]
    assert len(archive.keys("records/")) == 4
