"""`scrapy crawlall`: every source for one window in one process, and the cross-source
duplicate flag, against all four imitations over HTTP, archiving to SeaweedFS."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from tests.archive_reader import S3Archive, index_entries
from tests.conftest import SHANGHAI, make_announcements, run_crawl
from tests.ir_docx import ir_record_docx
from tests.servers.bse import BseSite, Disclosure
from tests.servers.cninfo import Announcement
from tests.servers.p5w import Event, P5wSite
from tests.servers.site import SiteServer
from tests.servers.sseinfo import Posting, SseinfoSite

WHEN = datetime(2024, 5, 9, 16, 0, tzinfo=SHANGHAI)


def test_crawlall_runs_every_source_and_flags_cross_source_duplicates(cninfo, seaweed, bucket):
    same = ir_record_docx("600519", "贵州茅台", "上海", "分红？", "稳定。")  # on e互动 and cninfo
    szse = make_announcements(1)[0]
    sse_copy = Announcement(
        announcement_id="1220000500",
        code="600519",
        name="贵州茅台",
        org_id="gssh0600519",
        published=WHEN.replace(hour=0),
        title="贵州茅台投资者关系活动记录表",
        body=same,
        adjunct_type="DOCX",
        extension="DOCX",
        page_column="SHZB",
        tab="fulltext",
    )
    cninfo.site.announcements = [szse, sse_copy]
    sseinfo = SseinfoSite(
        postings=[
            Posting("910001", "600519", "贵州茅台", "519", WHEN, "投资者关系活动记录表", same)
        ]
    )
    bse = BseSite(
        disclosures=[
            Disclosure(
                "b" * 32,
                "920007",
                "酉立智能",
                "[临时公告]投资者关系活动记录表",
                date(2024, 5, 9),
                ir_record_docx("920007", "酉立智能", "北京", "订单？", "多。"),
            )
        ]
    )
    p5w = P5wSite(events=[Event("R1", "001205", "盛航股份", "盛航股份业绩说明会", "5", WHEN)])
    with SiteServer(sseinfo) as e, SiteServer(bse) as b, SiteServer(p5w) as p:
        env = {
            **seaweed.env(),
            "SSEINFO_BASE_URL": e.url,
            "BSE_BASE_URL": b.url,
            "P5W_RS_URL": p.url,
            "P5W_IR_URL": p.url,
            "P5W_ROADSHOW_TYPES": "5",
        }
        result = run_crawl(
            cninfo,
            "-a",
            "start=2024-05-08",
            "-a",
            "end=2024-05-10",
            command="crawlall",
            archive=f"s3://{bucket}/",
            env=env,
        )

    assert result.returncode == 0, result.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    assert archive.keys("records/") == sorted(
        [
            f"records/cninfo/{szse.announcement_id}.json",
            "records/sse/cninfo-1220000500.json",
            "records/sse/910001.json",
            f"records/bse/{'b' * 32}.json",
            "records/p5w/R1.json",
        ]
    )
    # each spider's records are indexed under its own source, whichever site listed them
    for source in ("cninfo", "sse", "bse", "p5w"):
        keys = {entry["key"].split("/")[1] for entry in index_entries(archive, source).values()}
        assert keys == {source}, source
    assert {key.split("/")[2] for key in archive.keys("state/index/")} == {
        "cninfo",
        "sse",
        "bse",
        "p5w",
    }
    p5w_record = json.loads(archive.read("records/p5w/R1.json"))
    assert (p5w_record["stock_code"], p5w_record["exchange"]) == ("001205", "SZSE")
    assert {k.split("/")[1] for k in archive.keys("runs/") if k.endswith(".jsonl")} == {
        "cninfo",
        "sse",
        "bse",
        "p5w",
    }
    # archived once per source, flagged on whichever came second
    assert archive.read("originals/sse/910001.docx") == same
    assert archive.read("originals/sse/cninfo-1220000500.docx") == same
    twins = {
        ("sse", "910001"): json.loads(archive.read("records/sse/910001.json")),
        ("sse", "cninfo-1220000500"): json.loads(
            archive.read("records/sse/cninfo-1220000500.json")
        ),
    }
    marker = json.loads(archive.read(f"digests/{hashlib.sha256(same).hexdigest()}.json"))
    first = (marker["source"], marker["source_id"])
    assert first in twins
    (second,) = set(twins) - {first}
    assert "duplicate_of" not in twins[first]
    assert twins[second]["duplicate_of"] == {"source": first[0], "source_id": first[1]}
    for key in archive.keys("records/"):
        if key not in ("records/sse/910001.json", "records/sse/cninfo-1220000500.json"):
            assert "duplicate_of" not in json.loads(archive.read(key)), key


def test_second_source_is_flagged_against_an_earlier_run(cninfo, seaweed, bucket):
    same = ir_record_docx("600519", "贵州茅台", "上海", "分红？", "稳定。")
    sseinfo = SseinfoSite(
        postings=[
            Posting("910002", "600519", "贵州茅台", "519", WHEN, "投资者关系活动记录表", same)
        ]
    )
    cninfo.site.announcements = [make_announcements(1, body=same)[0]]  # a SZSE record, same bytes
    args = ("-a", "start=2024-05-08", "-a", "end=2024-05-10")
    first = run_crawl(cninfo, "cninfo", *args, archive=f"s3://{bucket}/", env=seaweed.env())
    assert first.returncode == 0, first.stderr[-3000:]
    with SiteServer(sseinfo) as e:
        env = {**seaweed.env(), "SSEINFO_BASE_URL": e.url}
        second = run_crawl(cninfo, "sse", *args, archive=f"s3://{bucket}/", env=env)

    assert second.returncode == 0, second.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    aid = cninfo.site.announcements[0].announcement_id
    assert json.loads(archive.read("records/sse/910002.json"))["duplicate_of"] == {
        "source": "cninfo",
        "source_id": aid,
    }
    assert "duplicate_of" not in json.loads(archive.read(f"records/cninfo/{aid}.json"))
    assert "'archive/duplicates': 1" in second.stderr
