"""Secrets never leave the environment: a canary credential is searched for in every byte a crawl
and an export write (logs, archive objects, feed, summary, export files)."""

from __future__ import annotations

from pathlib import Path

from tests.archive_reader import S3Archive
from tests.conftest import TINY_PDF, make_announcements, run_crawl
from tests.servers.seaweed import SECRET_KEY

WINDOW = ("-a", "start=2024-05-08", "-a", "end=2024-05-10")


def test_a_canary_credential_appears_in_nothing_the_run_writes(cninfo, seaweed, bucket, tmp_path):
    canary = SECRET_KEY  # the secret the crawl really signs with (the server checks it)
    cninfo.site.announcements = make_announcements(3, body=TINY_PDF)
    env = seaweed.env()
    assert env["AWS_SECRET_ACCESS_KEY"] == canary
    uri = f"s3://{bucket}/"

    crawl = run_crawl(
        cninfo,
        "cninfo",
        *WINDOW,
        archive=uri,
        env=env,
        # given with -s as well, by mistake: Scrapy prints its overridden settings
        settings={
            "AWS_ACCESS_KEY_ID": env["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": canary,
            "LOG_LEVEL": "DEBUG",
        },
    )
    export = run_crawl(cninfo, str(tmp_path / "out"), archive=uri, env=env, command="export")

    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert export.returncode == 0, export.stderr[-3000:]
    assert "'AWS_SECRET_ACCESS_KEY': '***'" in crawl.stderr
    archive = S3Archive(seaweed.client(), bucket)
    written = {key: archive.read(key) for key in archive.keys("")}
    assert any(key.startswith("runs/") for key in written)  # the feed and summary are searched
    written |= {str(p): p.read_bytes() for p in Path(tmp_path / "out").rglob("*") if p.is_file()}
    written |= {"crawl log": (crawl.stdout + crawl.stderr).encode()}
    written |= {"export log": (export.stdout + export.stderr).encode()}
    leaks = [where for where, data in written.items() if canary.encode() in data]
    assert leaks == []
