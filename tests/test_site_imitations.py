"""The site imitations' quirk flags, exercised directly over HTTP (no crawler)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tests.conftest import SHANGHAI, make_announcements
from tests.servers.bse import COOKIE_PAGE, LISTING, BseSite, Disclosure
from tests.servers.cninfo import CninfoServer, CninfoSite
from tests.servers.p5w import Event, P5wSite
from tests.servers.site import SiteServer
from tests.servers.sseinfo import Posting, SseinfoSite

DAY = date(2024, 5, 9)
FORM = {"startTime": "2024-05-08", "endTime": "2024-05-10", "page": "0", "xxfcbj[]": "2"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:  # hand a 3xx back as it is
        return None


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def fetch(url: str, form: dict[str, str] | None = None, **headers: str) -> tuple[int, Any, bytes]:
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data, {"User-Agent": "Mozilla/5.0", **headers})
    try:
        with OPENER.open(request, timeout=10) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def jsonp(body: bytes) -> Any:
    return json.loads(body.decode().partition("(")[2].rpartition(")")[0])


def disclosures(count: int) -> list[Disclosure]:
    return [
        Disclosure(f"c5f08047{n:024d}", "920007", "酉立智能", "[临时公告]记录表", DAY, b"doc")
        for n in range(count)
    ]


def test_bse_cookie_gate_redirects_until_an_issued_cookie_is_sent():
    site = BseSite(disclosures=disclosures(2), cookie_gate=True)
    with SiteServer(site) as bse:
        listing = f"{bse.url}{LISTING}?callback=jsonp"
        status, headers, _ = fetch(listing, FORM)
        assert (status, headers["Location"]) == (302, COOKIE_PAGE)
        assert fetch(listing, FORM, Cookie="acw_tc=forged")[0] == 302
        status, headers, page = fetch(bse.url + COOKIE_PAGE)
        assert status == 200 and "<title>公告信息</title>" in page.decode()
        cookie = headers["Set-Cookie"].split(";")[0]
        assert re.fullmatch(r"acw_tc=\w+", cookie) and "Path=/" in headers["Set-Cookie"]
        status, _, body = fetch(listing, FORM, Cookie=f"other=1; {cookie}")
        assert status == 200 and len(jsonp(body)["data"]["content"][0]["disclosures"]) == 2
        assert site.received(LISTING)[-1].headers["Cookie"] == f"other=1; {cookie}"
        assert site.cookie_visits == 1


def test_bse_cookie_is_good_for_cookie_uses_listings():
    site = BseSite(disclosures=disclosures(1), cookie_gate=True, cookie_uses=2)
    with SiteServer(site) as bse:
        listing = f"{bse.url}{LISTING}?callback=jsonp"
        for _ in range(2):
            cookie = fetch(bse.url + COOKIE_PAGE)[1]["Set-Cookie"].split(";")[0]
            assert [fetch(listing, FORM, Cookie=cookie)[0] for _ in range(3)] == [200, 200, 302]
        assert site.cookie_visits == 2


def test_bse_edited_rows_real_file_names_and_renames():
    site = BseSite(disclosures=disclosures(1), edited_later=True, real_file_names=True)
    site.renamed = {"companyCd": "code"}
    with SiteServer(site) as bse:
        body = fetch(f"{bse.url}{LISTING}?callback=x", FORM)[2]
        (row,) = jsonp(body)["data"]["content"][0]["disclosures"]
        assert "companyCd" not in row and row["code"] == "920007"
        assert row["publishDate"] == "2024-05-09"
        published = datetime(2024, 5, 9, 15, 30, 11, tzinfo=SHANGHAI)
        edited = published + timedelta(days=3, hours=5)
        up = row["upDate"]
        assert up["time"] == int(edited.timestamp() * 1000)
        assert (up["year"], up["month"], up["date"], up["hours"]) == (124, 4, 12, 20)
        name = rf"{int(published.timestamp())}_\d{{6}}\.pdf"
        assert re.fullmatch(rf"/disclosure/2024/2024-05-09/{name}", row["destFilePath"])
        assert fetch(bse.url + row["destFilePath"])[2] == b"doc"


def cninfo_rows(server: CninfoServer, **form: str) -> dict[str, Any]:
    form = {"tabName": "relation", "seDate": "2024-05-01~2024-05-31", **form}
    return json.loads(fetch(server.url + "/new/hisAnnouncement/query", form)[2])


def test_cninfo_ignore_page_renames_and_lost_rows():
    site = CninfoSite(announcements=make_announcements(45, body=b"%PDF"))
    with CninfoServer(site) as cninfo:
        site.ignore_page, site.renamed = True, {"secCode": "stockCode"}
        first, second = cninfo_rows(cninfo, pageNum="1"), cninfo_rows(cninfo, pageNum="2")
        assert second["announcements"] == first["announcements"]
        assert second["totalAnnouncement"] == 45 and first["hasMore"] and not second["hasMore"]
        assert all(
            r["stockCode"] == "002415" and "secCode" not in r for r in second["announcements"]
        )
        site.ignore_page, site.lose_rows = False, 10
        first, second = cninfo_rows(cninfo, pageNum="1"), cninfo_rows(cninfo, pageNum="2")
        assert (first["totalAnnouncement"], first["totalRecordNum"]) == (45, 45)
        assert first["hasMore"] is True and second["hasMore"] is False
        assert len(second["announcements"]) == 5  # 10 of the 45 counted are never served


def test_cninfo_answers_pages_past_the_hundredth_with_the_first():
    site = CninfoSite(announcements=make_announcements(3010, body=b"%PDF"))
    with CninfoServer(site) as cninfo:
        first, last = cninfo_rows(cninfo, pageNum="1"), cninfo_rows(cninfo, pageNum="100")
        beyond = cninfo_rows(cninfo, pageNum="101")
        assert len(last["announcements"]) == 30 and last["announcements"] != first["announcements"]
        assert beyond["announcements"] == first["announcements"]
        assert beyond["totalAnnouncement"] == 3010


def test_cninfo_fulltext_filters_stock_and_searchkey_ignoring_plate_and_column():
    ours = make_announcements(2, body=b"%PDF")
    theirs = make_announcements(1, code="000001", start_id=1226000000, body=b"%PDF")
    for a in [*ours, *theirs]:
        a.tab = "fulltext"
    ours[1].title = "年度报告"
    with CninfoServer(CninfoSite(announcements=[*ours, *theirs])) as cninfo:
        form = {"tabName": "fulltext", "plate": "sz", "column": "szse", "searchkey": "投资者"}
        page = cninfo_rows(cninfo, stock="002415,gssz0002415", **form)
        assert [r["announcementId"] for r in page["announcements"]] == ["1225000000"]


def test_p5w_company_search_is_fuzzy_and_list_rows_renamed():
    when = datetime(2024, 5, 9, 15, tzinfo=SHANGHAI)
    site = P5wSite(renamed={"companyShortname": "shortName"})
    site.events = [
        Event("R1", "001205", "盛航股份", "盛航股份业绩说明会", "5", when),
        Event("R2", "001206", "依依股份", "依依股份业绩说明会", "5", when),
        Event("R3", "600519", "贵州茅台", "贵州茅台业绩说明会", "5", when),
    ]
    with SiteServer(site) as p5w:

        def search(keyword: str) -> list[str]:
            body = fetch(p5w.url + "/company/validCompanyJson.shtml", {"keyword": keyword})[2]
            return sorted(r["companyCode"] for r in json.loads(body)["obj"])

        assert search("盛航") == search("盛航股份有限公司") == ["001205"]
        assert search("001205") == ["001205", "001206"]  # the near-miss code too
        form = {"start": "2024-05-01", "end": "2024-05-31", "roadshowType": "5", "page": "0"}
        rows = json.loads(fetch(p5w.url + "/roadshow/getRoadshowList.shtml", form)[2])["rows"]
        assert {r["shortName"] for r in rows} == {"盛航股份", "依依股份", "贵州茅台"}
        assert all("companyShortname" not in r and "600519" not in json.dumps(r) for r in rows)


def test_sseinfo_arbitrary_title_and_broken_markup():
    when = datetime(2024, 5, 9, 16, 48, tzinfo=SHANGHAI)
    post = Posting("900001", "600519", "贵州茅台", "519", when, "投资者关系管理制度", b"doc")
    site = SseinfoSite(postings=[post])
    with SiteServer(site) as sse:
        for broken in (False, True):
            site.broken_markup = broken
            feed = fetch(sse.url + "/ajax/userfeeds.do", {"uid": "519", "page": "1"})[2].decode()
            assert ">投资者关系管理制度</a>" in feed and "m_feed_txt" in feed
            assert ("m_feed_face" in feed) is not broken
