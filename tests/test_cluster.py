"""``PARSE_CLUSTER``: reparse, extract and the crawl's parse stage on a real Dask cluster.

Each test starts its own ``distributed.LocalCluster`` (two worker processes on 127.0.0.1, one
thread each) whose workers hold the SeaweedFS credentials in their environment: the driver never
sends them. The results are compared with the same work done locally, and the scheduler's task
stream shows what ran on the workers: ``reparse_batch`` tasks of index entries (never documents)
for a reparse, one ``parse_remote`` task a document for extract and the crawl."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from dask.utils import key_split
from distributed import Client, LocalCluster
from scrapy.settings import Settings

import pipelines.cluster
from pipelines.cluster import Cluster
from pipelines.parser import PARSER_VERSION, parse_document
from pipelines.reparse import reparse_archive
from pipelines.storage import open_archive
from tests.archive_reader import S3Archive
from tests.conftest import (
    REPARSE_OUTDATED,
    TINY_PDF,
    make_announcements,
    run_crawl,
    run_scrapy,
)
from tests.servers.cninfo import real_pdfs

WINDOW = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")
# the fields the parser gives a record (the others are the listing's and the archive's)
PARSE_FIELDS = frozenset(parse_document(TINY_PDF))


@pytest.fixture
def dask_cluster(seaweed) -> Iterator[LocalCluster]:
    """Two worker processes (Nanny-managed: one that dies is started again), with the archive's
    credentials in their environment, as a real worker would have them."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # no dashboard (bokeh is not installed), and the scheduler's HTTP endpoints on a free
        # port: two test processes would both want 8787
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
        env=seaweed.env(),
    ) as cluster:
        yield cluster


@pytest.fixture
def observer(dask_cluster: LocalCluster) -> Iterator[Client]:
    """A client of the test's own, to look at the cluster; its task stream records from now."""
    with Client(dask_cluster, set_as_default=False) as client:
        client.get_task_stream()  # the scheduler keeps the task stream from the first call on
        yield client


def tasks_run(client: Client) -> Counter[str]:
    """The tasks the cluster ran to the end since the observer started, by name."""
    return Counter(key_split(entry["key"]) for entry in client.get_task_stream())


def damaged(record: dict[str, Any]) -> dict[str, Any]:
    """What an older parser could have left: other fields, an older version."""
    return {
        **record,
        "qa": [],
        "location": "旧",
        "parse": {**record["parse"], "parser_version": "0.9.0", "status": "stale"},
    }


def put_record(s3: Any, bucket: str, record: dict[str, Any]) -> None:
    data = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True).encode()
    s3.put_object(Bucket=bucket, Key=f"records/cninfo/{record['source_id']}.json", Body=data)


def versions(s3: Any, bucket: str) -> Counter[str]:
    """How many times each record was written (the bucket keeps every version)."""
    found: Counter[str] = Counter()
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix="records/"):
        found.update(v["Key"] for v in page.get("Versions", []))
    return found


def versioned_bucket(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def copy_bucket(s3: Any, source: str, target: str) -> None:
    s3.create_bucket(Bucket=target)
    for key in S3Archive(s3, source).keys(""):
        body = s3.get_object(Bucket=source, Key=key)["Body"].read()
        s3.put_object(Bucket=target, Key=key, Body=body)


def without_reparsed_at(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "reparsed_at"}


def crawl_and_damage(cninfo, seaweed, bucket) -> tuple:
    """Crawl the imitation's announcements into a versioned bucket, then damage every record so
    that a reparse must rewrite it: (client, URI, archive, ids, the crawled records, the object
    versions written so far: the crawl's and the damage)."""
    s3, uri = seaweed.client(), f"s3://{bucket}/"
    versioned_bucket(s3, bucket)
    crawl = run_crawl(cninfo, *WINDOW, archive=uri, env=seaweed.env())
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    archive = S3Archive(s3, bucket)
    ids = [a.announcement_id for a in cninfo.site.announcements]
    good = {i: archive.record(i) for i in ids}
    for record in good.values():
        put_record(s3, bucket, damaged(record))
    return s3, uri, archive, ids, good, versions(s3, bucket)


def test_reparse_on_a_cluster_writes_what_a_local_reparse_writes(
    cninfo, seaweed, bucket, dask_cluster, observer
):
    site = cninfo.site
    site.announcements = make_announcements(10)  # ten distinct real PDFs
    s3, uri, archive, ids, good, written = crawl_and_damage(cninfo, seaweed, bucket)
    assert all(r["parse"]["status"] in ("ok", "partial") for r in good.values())
    local_bucket = f"{bucket}-local"
    copy_bucket(s3, bucket, local_bucket)
    requests = len(site.requests)

    on_cluster = run_crawl(
        cninfo,
        *REPARSE_OUTDATED,
        archive=uri,
        env={**seaweed.env(), "PARSE_CLUSTER": dask_cluster.scheduler_address},
        command="reparse",
    )
    ran = tasks_run(observer)
    local = run_crawl(
        cninfo,
        *REPARSE_OUTDATED,
        archive=f"s3://{local_bucket}/",
        env={**seaweed.env(), "PARSE_CLUSTER": ""},
        command="reparse",
    )

    for run in (on_cluster, local):
        assert run.returncode == 0, run.stderr[-3000:]
        assert "reparse cninfo: 10/10 records" in run.stderr  # the progress line
        assert "reparse: 10 records checked, 10 rewritten, 0 missing" in run.stderr
    # the workers did the work, one task a batch of index entries, nothing else
    assert ran == {"reparse_batch": math.ceil(len(ids) / pipelines.cluster.BATCH)}
    assert tasks_run(observer) == ran  # the local run used no cluster
    local_archive = S3Archive(s3, local_bucket)
    for source_id in ids:
        remote, here = archive.record(source_id), local_archive.record(source_id)
        assert "reparsed_at" in remote and "reparsed_at" in here
        assert without_reparsed_at(remote) == without_reparsed_at(here) == good[source_id]
    assert versions(s3, bucket) == written + Counter(written.keys())  # each written once more
    assert len(site.requests) == requests  # no network


def test_reparse_on_a_cluster_survives_a_worker_killed_mid_run(
    cninfo, seaweed, bucket, dask_cluster, observer, monkeypatch, s3_store_class
):
    count = 64
    site = cninfo.site
    site.announcements = make_announcements(count, body=TINY_PDF)
    for n, announcement in enumerate(site.announcements):  # distinct bytes: no duplicates
        announcement.body = TINY_PDF[:-6] + f"%{n:08d}\n%%EOF\n".encode()
    s3, uri, archive, ids, good, written = crawl_and_damage(cninfo, seaweed, bucket)
    assert len(written) == count

    # the driver, in this process: small batches, so that many are in flight when one dies
    monkeypatch.setattr(pipelines.cluster, "BATCH", 4)
    env = seaweed.env()
    settings = Settings(
        {"ARCHIVE_URI": uri, **env}  # the driver's credentials: the cluster is never sent them
    )
    store = open_archive(settings)
    pids = observer.run(os.getpid)
    killed: dict[str, Any] = {}
    lines: list[str] = []

    def kill_a_busy_worker(line: str) -> None:
        """Once a batch is back, SIGKILL a worker that has batches running or queued."""
        lines.append(line)
        if killed:
            return
        busy = {worker: keys for worker, keys in observer.processing().items() if keys}
        if not busy:  # every batch sent so far is back: try again on the next one
            return
        victim = next(iter(busy))
        killed.update(worker=victim, pid=pids[victim], held=set(busy[victim]))
        os.kill(pids[victim], signal.SIGKILL)

    with Cluster(dask_cluster.scheduler_address, settings) as cluster:
        assert env["AWS_SECRET_ACCESS_KEY"] not in json.dumps(cluster.archive)  # sent with batches
        result = reparse_archive(
            store,
            older_than=PARSER_VERSION,
            cluster=cluster,
            progress=kill_a_busy_worker,
            every=0,
        )
        assert killed
        # every record was damaged and is rewritten once, and counted once: a record the killed
        # worker had rewritten already carries the run's stamp when its batch runs again
        assert (result.changed, result.checked, result.current, result.missing) == (
            count,
            count,
            0,
            0,
        )
        assert versions(s3, bucket) == written + Counter(written.keys())
        for source_id in ids:
            fixed = archive.record(source_id)
            assert "reparsed_at" in fixed
            assert without_reparsed_at(fixed) == good[source_id]
        assert lines[-1].startswith(f"reparse cninfo: {count}/{count} records")

        again = reparse_archive(store, older_than=PARSER_VERSION, cluster=cluster)

    assert (again.changed, again.checked, again.current, again.missing) == (0, 0, count, 0)
    assert versions(s3, bucket) == written + Counter(written.keys())
    observer.wait_for_workers(2, timeout=60)  # the Nanny started the dead one again
    assert killed["pid"] not in observer.run(os.getpid).values()
    # the batches the dead worker held ran to the end on a live one (the one started again has
    # an address of its own)
    stream = observer.get_task_stream()
    assert {e["worker"] for e in stream if e["key"] in killed["held"]} - {killed["worker"]}
    assert set(tasks_run(observer)) == {"reparse_batch"}
    assert len({e["key"] for e in stream}) == 2 * math.ceil(count / 4)  # a batch can run twice


def _extract(paths: list[str], cluster: str) -> subprocess.CompletedProcess[str]:
    return run_scrapy("extract", *paths, env={**os.environ, "PARSE_CLUSTER": cluster})


def test_extract_on_a_cluster_prints_what_it_prints_locally(dask_cluster, observer):
    paths = [str(path) for path in real_pdfs()[:2]]

    local = _extract(paths, "")
    remote = _extract(paths, dask_cluster.scheduler_address)

    assert local.returncode == remote.returncode == 0, local.stderr + remote.stderr
    assert len(local.stdout.splitlines()) == 2
    assert remote.stdout == local.stdout
    assert tasks_run(observer) == {"parse_remote": 2}


def test_a_crawl_parsing_on_a_cluster_archives_what_a_local_crawl_does(
    cninfo, seaweed, bucket, dask_cluster, observer
):
    site = cninfo.site
    site.announcements = make_announcements(4)
    s3 = seaweed.client()
    local_bucket = f"{bucket}-local"
    s3.create_bucket(Bucket=local_bucket)

    local = run_crawl(cninfo, *WINDOW, archive=f"s3://{local_bucket}/", env=seaweed.env())
    remote = run_crawl(
        cninfo,
        *WINDOW,
        archive=f"s3://{bucket}/",
        env=seaweed.env(),
        settings={"PARSE_CLUSTER": dask_cluster.scheduler_address},
    )

    for run in (local, remote):
        assert run.returncode == 0, run.stderr[-3000:]
    assert "Parsing on the Dask cluster at" in remote.stderr
    assert tasks_run(observer) == {"parse_remote": 4}
    here, there = S3Archive(s3, local_bucket), S3Archive(s3, bucket)
    for announcement in site.announcements:
        expected = here.record(announcement.announcement_id)
        got = there.record(announcement.announcement_id)
        assert expected["parse"]["status"] in ("ok", "partial")
        assert {k: got.get(k) for k in PARSE_FIELDS} == {k: expected.get(k) for k in PARSE_FIELDS}
