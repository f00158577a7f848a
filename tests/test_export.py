"""``scrapy export``: tidy tables from the archive, with row counts and types checked."""

from __future__ import annotations

import csv
import json
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from tests.archive_reader import S3Archive
from tests.conftest import make_announcements, run_crawl

WINDOW = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
P5W = {  # the shape the p5w spider writes: no original file, Q&A with who and when
    "source": "p5w",
    "source_id": "RS900001",
    "stock_code": "002415",
    "title": "2023年度业绩说明会",
    "published_at": "2024-05-10T15:00:00+08:00",
    "participants": [],
    "reception": [{"name": "张三", "title": "董事会秘书"}],
    "qa": [
        {
            "question": "今年的毛利率？",
            "answer": "保持稳定。",
            "asker": "投资者甲",
            "answerer": "张三",
            "asked_at": "2024-05-10 15:01:00",
            "answered_at": "2024-05-10T15:20:00+08:00",
        }
    ],
    "parse": {"status": "ok", "parser_version": "p5w-json", "warnings": []},
}


def expected_rows(records: list[dict]) -> dict[str, int]:
    return {
        "records": len(records),
        "participants": sum(
            max(1, len(group.get("people") or []))
            for r in records
            for group in r.get("participants") or []
        ),
        "reception": sum(len(r.get("reception") or []) for r in records),
        "qa": sum(len(r.get("qa") or []) for r in records),
    }


def test_export_tables_match_the_archive(cninfo, seaweed, bucket, tmp_path):
    cninfo.site.announcements = make_announcements(4)
    uri = f"s3://{bucket}/"
    crawl = run_crawl(cninfo, *WINDOW, archive=uri, env=seaweed.env())
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    client = seaweed.client()
    archive = S3Archive(client, bucket)
    twin_id = cninfo.site.announcements[0].announcement_id
    twin = {**archive.record(twin_id), "source": "sseinfo", "source_id": "sse-77"}
    twin["duplicate_of"] = {"source": "cninfo", "source_id": twin_id}
    for record in (P5W, twin):
        key = f"records/{record['source']}/{record['source_id']}.json"
        client.put_object(Bucket=bucket, Key=key, Body=json.dumps(record, ensure_ascii=False))
    records = [json.loads(archive.read(k)) for k in archive.keys("records/")]
    assert len(records) == 6

    result = run_crawl(
        cninfo,
        "--format",
        "parquet",
        str(tmp_path / "pq"),
        archive=uri,
        env=seaweed.env(),
        command="export",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "export: 6/6 records" in result.stderr  # the progress line, done/total
    tables = {
        name: pq.read_table(tmp_path / "pq" / f"{name}.parquet")
        for name in ("records", "participants", "reception", "qa")
    }
    assert {name: t.num_rows for name, t in tables.items()} == expected_rows(records)
    assert expected_rows(records)["participants"] > 4 and expected_rows(records)["qa"] > 4
    main = tables["records"]
    assert main.schema.field("published_date").type == pa.date32()
    assert main.schema.field("start_date").type == pa.date32()
    assert main.schema.field("published_at").type == pa.timestamp("ms", tz="Asia/Shanghai")
    assert main.schema.field("activity_types").type == pa.list_(pa.string())
    assert set(main.column("published_date").to_pylist()) == {date(2024, 5, 9), date(2024, 5, 10)}
    qa = tables["qa"].to_pylist()
    p5w = [row for row in qa if row["source"] == "p5w"]
    assert p5w[0]["asker"] == "投资者甲" and p5w[0]["asked_at"].isoformat() == (
        "2024-05-10T15:01:00+08:00"
    )
    assert tables["qa"].schema.field("answered_at").type == pa.timestamp("ms", tz="Asia/Shanghai")
    for name, table in tables.items():
        assert table.column_names[:2] == ["source", "source_id"], name
    people = tables["participants"].to_pylist()
    assert all(row["org_type"] for row in people)  # every visitor has a type
    named = [row for row in people if row["institution"]]
    assert all(row["canonical"] for row in named)
    assert any(row["org_type"] == "基金管理公司" for row in named), named[:5]

    # --since/--until pick by published day; --drop-duplicates leaves out the twin.
    for fmt in ("jsonl", "csv"):
        out = tmp_path / fmt
        result = run_crawl(
            cninfo,
            "--format",
            fmt,
            "--since",
            "2024-05-09",
            "--until",
            "2024-05-09",
            "--drop-duplicates",
            str(out),
            archive=uri,
            env=seaweed.env(),
            command="export",
        )
        assert result.returncode == 0, result.stderr[-3000:]
        kept = [
            r
            for r in records
            if r["published_at"].startswith("2024-05-09") and not r.get("duplicate_of")
        ]
        assert len(kept) == 4
        for name, count in expected_rows(kept).items():
            path = out / f"{name}.{fmt}"
            if fmt == "jsonl":
                rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
            else:
                with path.open(encoding="utf-8", newline="") as handle:
                    rows = list(csv.DictReader(handle))
            assert len(rows) == count, (fmt, name)
            if name == "records":
                assert {row["published_date"] for row in rows} == {"2024-05-09"}
