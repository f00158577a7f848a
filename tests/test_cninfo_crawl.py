"""The cninfo spider end to end: imitation site over HTTP -> crawl process -> SeaweedFS / folder."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.archive_reader import LocalArchive, S3Archive, feed_lines, sha256
from tests.conftest import SHANGHAI, TINY_PDF, make_announcements, run_crawl
from tests.servers.cninfo import Announcement

WINDOW = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
LISTING = "/new/hisAnnouncement/query"


def listing_forms(site) -> list[dict[str, str]]:
    return [form for method, path, form in site.requests if path == "/new/hisAnnouncement/query"]


def file_gets(site) -> int:
    return site.count("GET", "/finalpage/")


def test_crawl_archives_originals_records_and_run_feed_to_s3(cninfo, seaweed, bucket):
    site = cninfo.site
    wanted = make_announcements(4)
    rules = make_announcements(1, start_id=1225100000)[0]
    rules.title = "投资者关系管理制度（2024年5月）"
    later = make_announcements(1, day="2024-06-01", start_id=1225200000)[0]
    site.announcements = [*wanted, rules, later]

    result = run_crawl(cninfo, *WINDOW, archive=f"s3://{bucket}/ir", env=seaweed.env())

    assert result.returncode == 0, result.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket, "ir/")
    assert archive.keys("originals/") == sorted(
        f"originals/cninfo/{a.announcement_id}.pdf" for a in wanted
    )
    for a in wanted:
        key = f"originals/cninfo/{a.announcement_id}.pdf"
        body = archive.read(key)
        assert sha256(body) == sha256(a.body)
        assert archive.head(key)["ContentType"] == "application/pdf"
        record = archive.record(a.announcement_id)
        assert record["source"] == "cninfo"
        assert record["source_id"] == a.announcement_id
        assert record["exchange"] == "SZSE"
        assert (record["stock_code"], record["stock_name"], record["org_id"]) == (
            a.code,
            a.name,
            a.org_id,
        )
        assert record["title"] == a.title
        assert record["published_at"] == a.published.isoformat()
        assert record["published_at"].endswith("+08:00")
        assert record["file_url"] == f"{cninfo.url}/{a.adjunct_url}"
        assert f"announcementId={a.announcement_id}" in record["detail_url"]
        assert "announcementTime=2024-05-09" in record["detail_url"]
        assert record["file"] == {
            "key": key,
            "sha256": sha256(a.body),
            "size": len(a.body),
            "content_type": "application/pdf",
        }
        assert "error" not in record
        assert "original_bytes" not in record
    assert archive.keys("records/") == sorted(
        f"records/cninfo/{a.announcement_id}.json" for a in wanted
    )

    runs = [key for key in archive.keys("runs/") if key.endswith(".jsonl")]
    assert len(runs) == 1 and re.fullmatch(
        r"runs/cninfo/\d{4}-\d\d-\d\dT[\d-]+\+00-00-[0-9a-f]{6}\.jsonl", runs[0]
    )
    assert sorted(line["source_id"] for line in feed_lines(archive)) == sorted(
        a.announcement_id for a in wanted
    )

    form = listing_forms(site)[0]
    assert form == {
        "pageNum": "1",
        "pageSize": "30",
        "column": "szse",
        "tabName": "relation",
        "plate": "",
        "stock": "",
        "searchkey": "",
        "secid": "",
        "category": "",
        "trade": "",
        "seDate": "2024-05-08~2024-05-10",
        "sortName": "",
        "sortType": "",
        "isHLtitle": "true",
    }


def test_second_run_downloads_and_uploads_nothing(cninfo, seaweed, bucket):
    cninfo.site.announcements = make_announcements(3)
    first = run_crawl(cninfo, *WINDOW, archive=f"s3://{bucket}/", env=seaweed.env())
    assert first.returncode == 0, first.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    stamps = {
        k: archive.head(k)["LastModified"] for k in archive.keys("") if not k.startswith("runs/")
    }
    downloads = file_gets(cninfo.site)
    assert downloads == 3

    second = run_crawl(cninfo, *WINDOW, archive=f"s3://{bucket}/", env=seaweed.env())

    assert second.returncode == 0, second.stderr[-3000:]
    assert file_gets(cninfo.site) == downloads
    assert {k: archive.head(k)["LastModified"] for k in stamps} == stamps
    assert "'archive/already_archived': 3" in second.stderr


# The paging limit tests: the imitation serves 3 pages (90 rows) a query as cninfo serves 100
# (3,000 rows; test_site_imitations.py), and the crawl is told so: the same rule, 30 times cheaper.
SHORT_PAGING = {"CNINFO_MAX_PAGES": "3"}


def test_window_over_the_paging_limit_is_split_and_fully_covered(cninfo, tmp_path):
    # 50 + 50 rows: one query reaches only 90, so the window must be split by day.
    site = cninfo.site
    site.page_limit = 3
    site.announcements = [
        *make_announcements(50, day="2024-05-09", start_id=1230000000, body=TINY_PDF),
        *make_announcements(50, day="2024-05-10", start_id=1240000000, body=TINY_PDF),
    ]

    result = run_crawl(cninfo, *WINDOW, archive=str(tmp_path / "archive"), settings=SHORT_PAGING)

    assert result.returncode == 0, result.stderr[-3000:]
    archive = LocalArchive(tmp_path / "archive")
    assert len(archive.keys("records/")) == 100
    seen = {f["seDate"] for f in listing_forms(site)}
    assert {"2024-05-08~2024-05-10", "2024-05-08~2024-05-09", "2024-05-10~2024-05-10"} <= seen
    assert all(int(f["pageNum"]) <= 3 for f in listing_forms(site))
    assert "'cninfo/windows_split'" in result.stderr


def test_a_day_beyond_paging_is_reported_and_fails_the_run(cninfo, tmp_path):
    site = cninfo.site
    site.page_limit = 3
    site.announcements = make_announcements(100, start_id=1250000000, body=TINY_PDF)

    result = run_crawl(cninfo, *WINDOW, archive=str(tmp_path / "archive"), settings=SHORT_PAGING)

    assert result.returncode == 1
    assert "2024-05-09~2024-05-09 has 100 rows on cninfo but paging reaches only 90" in (
        result.stderr
    )
    assert len(LocalArchive(tmp_path / "archive").keys("records/")) == 90
    assert all(int(f["pageNum"]) <= 3 for f in listing_forms(site))


def test_bad_originals_are_recorded_not_archived_and_the_crawl_goes_on(cninfo, seaweed, bucket):
    import io

    import docx

    good = make_announcements(5)
    waf, empty, truncated, missing, word = good[:5]
    waf.body = (
        "<html><head><title>访问被拦截！</title></head><body>您的请求疑似攻击行为！</body></html>"
    ).encode()
    empty.body = b""
    truncated.body = truncated.body[: len(truncated.body) // 2]
    missing.body = None
    document = docx.Document()
    document.add_paragraph("投资者关系活动记录表")
    buffer = io.BytesIO()
    document.save(buffer)
    word.body, word.adjunct_type, word.extension = buffer.getvalue(), "DOCX", "DOCX"
    html_record = make_announcements(1, start_id=1226000000)[0]
    html_record.body = (
        "<html><head><title>投资者关系活动记录表</title></head><body>问：答：</body></html>"
    ).encode()
    html_record.adjunct_type, html_record.extension = "HTML", "js"
    fine = make_announcements(1, start_id=1227000000)[0]
    cninfo.site.announcements = [*good, html_record, fine]

    result = run_crawl(cninfo, *WINDOW, archive=f"s3://{bucket}/", env=seaweed.env())

    assert result.returncode == 0, result.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    assert archive.keys("originals/") == sorted(
        [
            f"originals/cninfo/{word.announcement_id}.docx",
            f"originals/cninfo/{html_record.announcement_id}.html",
            f"originals/cninfo/{fine.announcement_id}.pdf",
        ]
    )
    assert archive.record(word.announcement_id)["file"]["content_type"].endswith(
        "wordprocessingml.document"
    )
    errors = {a.announcement_id: archive.record(a.announcement_id).get("error") for a in good[:4]}
    assert (
        "HTML page" in errors[waf.announcement_id] and "访问被拦截" in errors[waf.announcement_id]
    )
    assert "empty" in errors[empty.announcement_id]
    assert "truncated PDF" in errors[truncated.announcement_id]
    assert "404" in errors[missing.announcement_id]
    for source_id in errors:
        assert "file" not in archive.record(source_id)


def test_records_with_errors_are_retried_next_run(cninfo, tmp_path):
    a = make_announcements(1)[0]
    body = a.body
    a.body = (
        b"<html><title>\xe8\xae\xbf\xe9\x97\xae\xe8\xa2\xab\xe6\x8b\xa6\xe6\x88\xaa</title></html>"
    )
    cninfo.site.announcements = [a]
    first = run_crawl(cninfo, *WINDOW, archive=str(tmp_path))
    assert first.returncode == 0
    assert "error" in LocalArchive(tmp_path).record(a.announcement_id)

    a.body = body
    second = run_crawl(cninfo, *WINDOW, archive=str(tmp_path))

    assert second.returncode == 0, second.stderr[-3000:]
    record = LocalArchive(tmp_path).record(a.announcement_id)
    assert "error" not in record and record["file"]["sha256"] == sha256(body)


def test_unusable_listing_is_an_error_but_the_crawl_goes_on(cninfo, tmp_path):
    site = cninfo.site
    site.announcements = [
        *make_announcements(2, day="2024-05-08", start_id=1228000000, body=TINY_PDF),
        *make_announcements(2, day="2024-05-10", start_id=1229000000, body=TINY_PDF),
    ]
    site.broken_listing = "<html><title>访问被拦截！</title></html>"
    # Force a split so that there are several listing calls and only the first is broken.
    result = run_crawl(
        cninfo,
        "cninfo",
        "-a",
        "start=2024-05-08",
        "-a",
        "end=2024-05-10",
        "-a",
        "stock=002415",
        archive=str(tmp_path),
    )
    assert result.returncode == 1
    assert "is not JSON" in result.stderr


def test_stock_argument_resolves_org_ids_and_guards_against_foreign_rows(cninfo, tmp_path):
    site = cninfo.site
    ours = make_announcements(2, code="002415")
    theirs = make_announcements(2, code="000001", start_id=1231000000)
    for a in theirs:
        a.org_id = "gssz0000001"
    shared = Announcement(**{**ours[0].__dict__, "announcement_id": "1232000000"})
    twin = Announcement(**{**shared.__dict__, "code": "000001", "org_id": "gssz0000001"})
    site.announcements = [*ours, *theirs, shared, twin]

    result = run_crawl(cninfo, *WINDOW, "-a", "stock=002415,000001", archive=str(tmp_path))

    assert result.returncode == 0, result.stderr[-3000:]
    stocks = {f["stock"] for f in listing_forms(site)}
    assert stocks == {"002415,gssz0002415", "000001,gssz0000001"}
    ids = sorted(p.split("/")[-1][:-5] for p in LocalArchive(tmp_path).keys("records/"))
    assert ids == sorted(a.announcement_id for a in [*ours, *theirs, shared])
    assert "'cninfo/duplicate_rows': 1" in result.stderr


def test_unknown_stock_code_stops_with_a_clear_message(cninfo, tmp_path):
    cninfo.site.announcements = make_announcements(1, code="002415")
    result = run_crawl(cninfo, *WINDOW, "-a", "stock=002415,123456", archive=str(tmp_path))
    assert result.returncode == 1
    assert "crawl failed: the spider closed early (unknown stock code(s) on cninfo: 123456)" in (
        result.stderr
    )
    assert listing_forms(cninfo.site) == []


def test_bad_arguments_stop_with_one_clear_line(cninfo, tmp_path):
    for args, message in [
        (("-a", "start=2024-13-01"), "-a start='2024-13-01': expected a date as YYYY-MM-DD"),
        (
            ("-a", "start=2024-05-10", "-a", "end=2024-05-01"),
            "start 2024-05-10 is after end 2024-05-01",
        ),
        (("-a", "stock=12345x"), "-a stock='12345x': not six-digit stock codes: 12345x"),
        (("-a", "end=2024-05-01"), "-a end=2024-05-01 needs -a start= too"),
        (("-a", "strat=2024-05-01"), "-a strat=: unknown argument"),
        (("-s", "ARCHIVE_URI=ftp://host/x"), "ARCHIVE_URI 'ftp://host/x': use a local path"),
    ]:
        result = run_crawl(cninfo, "cninfo", *args, archive=str(tmp_path))
        assert result.returncode == 2
        assert result.stderr.strip().splitlines()[-1].startswith(f"error: {message}")
        assert "Traceback" not in result.stderr
    for command, args in [("crawl", ["nosuch"]), ("crawlall", ["-a", "strat=2024-05-01"])]:
        result = run_crawl(cninfo, *args, archive=str(tmp_path), command=command)
        assert result.returncode == 2, result.stderr[-2000:]
        assert result.stderr.strip().splitlines()[-1].startswith("error: ")
        assert "Traceback" not in result.stderr
    assert cninfo.site.requests == []


def test_missing_bucket_stops_before_any_request(cninfo, seaweed):
    result = run_crawl(cninfo, *WINDOW, archive="s3://no-such-bucket-here/", env=seaweed.env())
    assert result.returncode == 2
    assert "cannot use bucket 'no-such-bucket-here'" in result.stderr
    assert cninfo.site.requests == []


def test_failed_upload_fails_the_run(cninfo, tmp_path):
    cninfo.site.announcements = make_announcements(2)
    (tmp_path / "originals").mkdir()
    (tmp_path / "originals" / "cninfo").write_text("a file where the folder should be")

    result = run_crawl(cninfo, *WINDOW, archive=str(tmp_path))

    assert result.returncode == 1
    assert "crawl failed" in result.stderr
    record = LocalArchive(tmp_path).record(cninfo.site.announcements[0].announcement_id)
    assert "could not write originals/cninfo/" in record["error"]


def test_default_archive_is_a_local_folder(cninfo, tmp_path):
    cninfo.site.announcements = make_announcements(1)
    a = cninfo.site.announcements[0]
    result = run_crawl(cninfo, *WINDOW, archive="", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    archive = LocalArchive(tmp_path / "archive")
    assert sha256(archive.read(f"originals/cninfo/{a.announcement_id}.pdf")) == sha256(a.body)
    assert archive.record(a.announcement_id)["source_id"] == a.announcement_id


# The crawl's clock pinned just after midnight in Shanghai (still the day before in UTC) and
# just before it, instead of the wall clock.
@pytest.mark.parametrize(
    "crawl_now", ["2024-05-09T00:05:00+08:00", "2024-05-09T23:55:00+08:00"], ids=["0005", "2355"]
)
def test_default_window_is_yesterday_to_today_in_shanghai(cninfo, tmp_path, crawl_now):
    now = datetime.fromisoformat(crawl_now).astimezone(SHANGHAI)
    today = make_announcements(1, day=now.date().isoformat())[0]
    old = make_announcements(1, day=(now - timedelta(days=5)).date().isoformat(), start_id=1)[0]
    cninfo.site.announcements = [today, old]
    result = run_crawl(cninfo, "cninfo", archive=str(tmp_path), settings={"CRAWL_NOW": crawl_now})
    assert result.returncode == 0, result.stderr[-3000:]
    yesterday = (now - timedelta(days=1)).date().isoformat()
    assert listing_forms(cninfo.site)[0]["seDate"] == f"{yesterday}~{now.date().isoformat()}"
    assert LocalArchive(tmp_path).keys("records/") == [
        f"records/cninfo/{today.announcement_id}.json"
    ]


def test_5xx_and_429_are_retried_after_a_pause(cninfo, tmp_path):
    site = cninfo.site
    site.announcements = make_announcements(1)
    site.listing_statuses = [503, 429]  # both answers carry Retry-After: 1

    result = run_crawl(cninfo, *WINDOW, archive=str(tmp_path), settings={"RETRY_BACKOFF_BASE": "5"})

    assert result.returncode == 0, result.stderr[-3000:]
    assert len(site.arrivals(LISTING)) == 3
    first, second, third = site.arrivals(LISTING)
    assert 0.9 <= second - first < 4 and 0.9 <= third - second < 4  # Retry-After, not the 5 s base
    assert LocalArchive(tmp_path).record(site.announcements[0].announcement_id)["file"]


def test_timeouts_are_retried_with_exponential_backoff(cninfo, tmp_path):
    site = cninfo.site
    site.announcements = make_announcements(1)
    site.listing_statuses = [0, 504]  # a stalled reply, then a gateway timeout (no Retry-After)

    result = run_crawl(
        cninfo,
        *WINDOW,
        archive=str(tmp_path),
        settings={"RETRY_BACKOFF_BASE": "0.5", "DOWNLOAD_TIMEOUT": "1"},
    )

    assert result.returncode == 0, result.stderr[-3000:]
    first, second, third = site.arrivals(LISTING)
    # Arrival times at the server, so allow a little for scheduling: without the backoff the
    # gaps would be about 1.0 s (the timeout alone) and 0 s.
    assert second - first >= 1 + 0.5 - 0.1  # the timeout, then the first pause (0.5 s)
    assert third - second >= 1.0 - 0.1  # the second pause is twice the first


def test_a_record_timed_the_evening_before_its_publication_day_is_kept(cninfo, tmp_path):
    # As in the real 调研-tab page: announcementTime 23:50, listed under the next day.
    late = make_announcements(1, day="2024-05-08")[0]
    late.published = late.published.replace(hour=23, minute=50)
    late.listed_on = late.published.date() + timedelta(days=1)
    cninfo.site.announcements = [late]

    result = run_crawl(
        cninfo, "cninfo", "-a", "start=2024-05-09", "-a", "end=2024-05-09", archive=str(tmp_path)
    )

    assert result.returncode == 0, result.stderr[-3000:]
    record = LocalArchive(tmp_path).record(late.announcement_id)
    assert record["published_at"] == "2024-05-08T23:50:00+08:00"
    assert "announcementTime=2024-05-09" in record["detail_url"]  # the publication day


def test_records_carry_the_parse_and_a_parse_failure_keeps_the_original(cninfo, seaweed, bucket):
    real = make_announcements(1)[0]  # one of the real 海康威视 records
    broken = make_announcements(1, start_id=1233000000)[0]
    # Starts and ends like a PDF (so it is archived), but its body is garbage.
    broken.body = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
    cninfo.site.announcements = [real, broken]

    result = run_crawl(cninfo, *WINDOW, archive=f"s3://{bucket}/", env=seaweed.env())

    assert result.returncode == 0, result.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    record = archive.record(real.announcement_id)
    assert record["parse"]["status"] == "ok" and record["parse"]["format"] == "pdf"
    assert record["company_name"] == "杭州海康威视数字技术股份有限公司"
    assert record["stock_code"] == "002415" and record["qa"] and record["participants"]
    failed = archive.record(broken.announcement_id)
    assert failed["parse"]["status"] == "failed" and failed["parse"]["warnings"]
    assert "error" not in failed
    assert archive.read(failed["file"]["key"]) == broken.body
