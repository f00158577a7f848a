"""The p5w spider end to end: roadshow list, Q&A and event pages over HTTP -> crawl -> SeaweedFS."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from tests.archive_reader import LocalArchive, S3Archive, sha256
from tests.conftest import SHANGHAI, p5w_env, run_crawl
from tests.servers.p5w import Event, P5wSite, Question

WINDOW = ("p5w", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
WHEN = datetime(2024, 5, 9, 15, 0, tzinfo=SHANGHAI)


def event(pid: str, rtype: str = "5", questions: int = 0, **kw) -> Event:
    asked = WHEN + timedelta(minutes=1)
    return Event(
        pid=pid,
        code=kw.pop("code", "001205"),
        name=kw.pop("name", "盛航股份"),
        title=kw.pop("title", "盛航股份2023年度业绩说明会"),
        rtype=rtype,
        when=kw.pop("when", WHEN),
        questions=[
            Question(
                pid=f"{pid}-q{n}",
                question=f"问题{n}？",
                asker=f"投资者{n}",
                asked=asked,
                answer=f"<p>回答{n}</p>" if n % 2 == 0 else None,
                answerer="董秘 王五" if n % 2 == 0 else None,
                answered=asked + timedelta(minutes=5) if n % 2 == 0 else None,
            )
            for n in range(questions)
        ],
    )


def test_p5w_events_and_qa_are_archived_as_common_records(cninfo, p5w, seaweed, bucket):
    site: P5wSite = p5w.site
    briefing = event("R100", questions=12)  # two Q&A pages of 10
    meeting = event("R200", rtype="12", title="盛航股份投资者说明会", questions=1)
    later = event("R300", when=WHEN + timedelta(days=5))
    site.events = [briefing, meeting, later]

    result = run_crawl(
        cninfo, *WINDOW, archive=f"s3://{bucket}/", env={**seaweed.env(), **p5w_env(p5w)}
    )

    assert result.returncode == 0, result.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    assert archive.keys("originals/") == [
        "originals/p5w/R100/event.html",
        "originals/p5w/R100/qa-0.json",
        "originals/p5w/R100/qa-1.json",
        "originals/p5w/R200/event.html",
        "originals/p5w/R200/qa-0.json",
    ]
    assert archive.read("originals/p5w/R100/event.html") == briefing.page()
    qa_pages = [json.loads(archive.read(f"originals/p5w/R100/qa-{n}.json")) for n in (0, 1)]
    assert [len(page["rows"]) for page in qa_pages] == [10, 2]

    record = json.loads(archive.read("records/p5w/R100.json"))
    assert (record["source"], record["source_id"], record["stock_name"]) == (
        "p5w",
        "R100",
        "盛航股份",
    )
    assert record["title"] == "盛航股份2023年度业绩说明会"
    assert record["published_at"] == "2024-05-09T15:00:00+08:00"
    assert record["detail_url"] == f"{p5w.url}/html/R100.shtml"
    assert (record["start_date"], record["start_time"]) == ("2024-05-09", "15:00")
    assert record["activity_types"] == ["业绩说明会"]
    assert record["parse"] == {
        "status": "ok",
        "warnings": [],
        "parser_version": record["parse"]["parser_version"],
        "format": "p5w-json",
        "pages": None,
        "ocr_pages": 0,
    }
    page = briefing.page()
    assert record["file"] == {
        "key": "originals/p5w/R100/event.html",
        "sha256": sha256(page),
        "size": len(page),
        "content_type": "text/html",
    }
    assert [o["name"] for o in record["originals"]] == ["event.html", "qa-0.json", "qa-1.json"]
    assert len(record["qa"]) == 12
    assert record["qa"][0] == {
        "question": "问题0？",
        "answer": "回答0",
        "asker": "投资者0",
        "answerer": "董秘 王五",
        "asked_at": "2024-05-09T15:01:00+08:00",
        "answered_at": "2024-05-09T15:06:00+08:00",
    }
    assert record["qa"][1]["answer"] is None and record["qa"][1]["answered_at"] is None
    other = json.loads(archive.read("records/p5w/R200.json"))
    assert (other["activity_types"], other["activity_other"]) == (["其他"], "投资者说明会")
    # the parsed documents' field names are all present, so exports combine the two
    for name in ("participants", "reception", "location", "content_text", "record_date"):
        assert name in record

    lists = site.received("/roadshow/getRoadshowList.shtml")
    assert sorted((r.one("roadshowType"), r.one("page")) for r in lists) == [
        ("12", "0"),
        ("5", "0"),
    ]
    assert {(r.one("start"), r.one("end")) for r in lists} == {("2024-05-08", "2024-05-10")}
    qa_calls = site.received("/roadshowLive/getNInteractionDatas.shtml")
    assert sorted((r.one("roadshowId"), r.one("page"), r.one("type")) for r in qa_calls) == [
        ("R100", "0", "2"),
        ("R100", "1", "2"),
        ("R200", "0", "2"),
    ]


def test_p5w_guards_stock_filter_types_repeats_and_bad_json(cninfo, p5w, tmp_path):
    site: P5wSite = p5w.site
    ours = event("R100", questions=11)  # two pages, but page 1 comes back as page 0
    theirs = event("R400", code="001206", name="别的公司", title="别的公司业绩说明会")
    meeting = event("R500", rtype="12", title="盛航股份投资者说明会")
    broken = event("R600", title="盛航股份2024年一季度业绩说明会")
    site.events = [ours, theirs, meeting, broken]
    site.ignore_type = site.ignore_title = site.ignore_qa_page = True
    site.broken_qa = {"R600"}

    result = run_crawl(
        cninfo,
        *WINDOW,
        "-a",
        "stock=001205",
        archive=str(tmp_path),
        env={**p5w_env(p5w), "P5W_ROADSHOW_TYPES": "5"},
    )

    assert result.returncode == 1
    assert [r.one("keyword") for r in site.received("/company/validCompanyJson.shtml")] == [
        "001205"
    ]
    assert {r.one("roadshowTitle") for r in site.received("/roadshow/getRoadshowList.shtml")} == {
        "盛航股份"
    }
    assert "Skipping p5w event R400 (别的公司, 业绩说明会): asked for 业绩说明会 of 盛航股份" in (
        result.stderr
    )
    assert "Skipping p5w event R500 (盛航股份, 投资者说明会): asked for 业绩说明会" in result.stderr
    assert "p5w Q&A page 1 of R100 repeats page 0" in result.stderr
    assert "p5w event R600: Q&A page 0 is not the JSON expected" in result.stderr
    archive = LocalArchive(tmp_path)
    assert archive.keys("records/") == ["records/p5w/R100.json", "records/p5w/R600.json"]
    assert archive.keys("originals/") == [
        "originals/p5w/R100/event.html",
        "originals/p5w/R100/qa-0.json",
    ]
    record = json.loads(archive.read("records/p5w/R100.json"))
    assert (record["stock_code"], record["exchange"], len(record["qa"])) == ("001205", "SZSE", 10)
    failed = json.loads(archive.read("records/p5w/R600.json"))
    assert failed["error"].startswith("Q&A page 0 is not the JSON expected")
    assert "file" not in failed


def test_failed_events_are_fetched_again_and_archived_ones_are_not(cninfo, p5w, tmp_path):
    site: P5wSite = p5w.site
    done, failing = event("R700", questions=2), event("R800", questions=1)
    old = event("R900", questions=1, when=WHEN - timedelta(days=6))  # before the next window
    site.events = [done, failing, old]
    site.broken_qa = {"R800", "R900"}
    env = {**p5w_env(p5w), "P5W_ROADSHOW_TYPES": "5"}
    first = run_crawl(
        cninfo, "p5w", "-a", "start=2024-05-02", "-a", "end=2024-05-10",
        archive=str(tmp_path), env=env,
    )  # fmt: skip
    assert first.returncode == 1
    archive = LocalArchive(tmp_path)
    assert "error" in json.loads(archive.read("records/p5w/R800.json"))
    site.broken_qa = set()
    site.requests.clear()

    # a scheduled run: no watermark yet, so yesterday and today by the pinned clock (R700 and
    # R800 listed again), then the failed records of the RETRY_FAILED_DAYS before it (R900)
    again = run_crawl(
        cninfo, "p5w", archive=str(tmp_path), env=env,
        settings={"CRAWL_NOW": "2024-05-10T20:00:00+08:00"},
    )  # fmt: skip

    assert again.returncode == 0, again.stderr[-3000:]
    fetched = {
        r.one("roadshowId") for r in site.received("/roadshowLive/getNInteractionDatas.shtml")
    }
    assert fetched == {"R800", "R900"}  # R700 was archived whole: its Q&A is not fetched again
    for pid in ("R800", "R900"):
        record = json.loads(archive.read(f"records/p5w/{pid}.json"))
        assert "error" not in record and len(record["qa"]) == 1
