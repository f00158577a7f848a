"""``scrapy reparse``: archived originals parsed again, offline; only changed records rewritten."""

from __future__ import annotations

import json

from pipelines.parser import PARSER_VERSION
from tests.archive_reader import S3Archive
from tests.conftest import REPARSE_OUTDATED, make_announcements, run_crawl

WINDOW = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")


def test_reparse_rewrites_exactly_the_records_whose_parse_changed(cninfo, seaweed, bucket):
    site = cninfo.site
    site.announcements = make_announcements(4)
    uri = f"s3://{bucket}/"
    crawl = run_crawl(cninfo, *WINDOW, archive=uri, env=seaweed.env())
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    archive = S3Archive(seaweed.client(), bucket)
    client = seaweed.client()
    old_parser, same_output, hand_edited, untouched = (
        a.announcement_id for a in site.announcements
    )
    good = {i: archive.record(i) for i in (old_parser, same_output, hand_edited, untouched)}

    def store(source_id: str, record: dict) -> None:
        data = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True).encode()
        client.put_object(Bucket=bucket, Key=f"records/cninfo/{source_id}.json", Body=data)

    # What an older parser left: a different location and an older version; one record parsed
    # the same by the old version; one edited by hand under the current version.
    store(
        old_parser,
        {
            **good[old_parser],
            "location": "旧",
            "parse": {**good[old_parser]["parse"], "parser_version": "0.9.0"},
        },
    )
    store(
        same_output,
        {**good[same_output], "parse": {**good[same_output]["parse"], "parser_version": "0.9.0"}},
    )
    store(hand_edited, {**good[hand_edited], "location": "手改"})
    # The index is read, never written: a record it lacks is read in, in memory; the version a
    # --parser-older-than run compares is the record's (the index says every one is current).
    (segment,) = archive.keys("state/index/")
    lines = archive.read(segment).splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line)["source_id"] != untouched]
    client.put_object(Bucket=bucket, Key=segment, Body=b"".join(kept))
    state = {key: archive.head(key)["ETag"] for key in archive.keys("state/")}
    before = {i: archive.read(f"records/cninfo/{i}.json") for i in good}
    requests = len(site.requests)

    first = run_crawl(cninfo, *REPARSE_OUTDATED, archive=uri, env=seaweed.env(), command="reparse")

    assert first.returncode == 0, first.stderr[-3000:]
    assert "reparse: 2 records checked, 1 rewritten, 0 missing" in first.stderr
    assert f"2 already parsed by {PARSER_VERSION} or later" in first.stderr
    assert "reparse cninfo: 4/4 records" in first.stderr
    fixed = archive.record(old_parser)
    assert fixed["location"] == good[old_parser]["location"]
    assert fixed["parse"]["parser_version"] == PARSER_VERSION and "reparsed_at" in fixed
    assert {k: v for k, v in fixed.items() if k != "reparsed_at"} == good[old_parser]
    for source_id in (same_output, hand_edited, untouched):
        assert archive.read(f"records/cninfo/{source_id}.json") == before[source_id]

    second = run_crawl(
        cninfo, "--since", "2024-05-09", archive=uri, env=seaweed.env(), command="reparse"
    )

    assert second.returncode == 0, second.stderr[-3000:]
    assert "reparse: 4 records checked, 1 rewritten, 0 missing" in second.stderr
    assert archive.record(hand_edited)["location"] == good[hand_edited]["location"]
    assert archive.read(f"records/cninfo/{untouched}.json") == before[untouched]
    assert archive.read(f"records/cninfo/{same_output}.json") == before[same_output]
    assert {key: archive.head(key)["ETag"] for key in archive.keys("state/")} == state
    assert len(site.requests) == requests  # no network
