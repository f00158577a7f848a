"""Cluster benchmark: ``reparse_archive`` on Dask LocalClusters of 1, 2 and 4 workers, and locally.

Usage::

    .venv/bin/python bench/cluster_bench.py [--docs N] [--workers 1,2,4] [--local-workers W]
                                            [--batch B] [--rounds R] [--archive DIR]

Builds a temporary local archive (``--archive DIR`` to keep it) of ``--docs`` records (default
60), the real record PDFs the crawl tests serve (tests/servers/cninfo.py ``REAL_PDFS``) in turn,
each with a distinct trailing comment: ``originals/cninfo/<id>.pdf`` and a bare
``records/cninfo/<id>.json`` (listing metadata and file key, with the layout of pipelines/keys.py).
One local reparse fills in the parsed fields. Before every timed run each record is set back to
an older parser version with a stale parse status, so that ``reparse_archive(older_than=
PARSER_VERSION)`` parses every original again and rewrites every record (checked after each run).

Timed (wall seconds of ``reparse_archive`` only):

local     the local pool: ``workers=--local-workers`` (PARSE_WORKERS, default 2) parse processes
cluster   ``distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True)`` on
          127.0.0.1 for each n of ``--workers``, through ``pipelines.cluster.Cluster`` as
          ``scrapy reparse`` uses it with PARSE_CLUSTER. The cluster is started (and its workers
          have imported the project) before the clock starts; each worker thread starts its own
          bounded parse process on its first batch, which the first round pays for (as the local
          pool pays for its processes on every run).

Each configuration runs ``--rounds`` times (default 2): the first round is "cold", the best of the
others "warm" (a cluster that has parsed before: its parse processes are up). Speed-up is against
the 1-worker cluster of the same column. ``--batch`` sets ``pipelines.cluster.BATCH`` (index
entries a task re-parses, default 32) in this process, the driver, which is where batches are made.

On the 2-core development machine the defaults take about 2 minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipelines.cluster  # noqa: E402
from pipelines.cluster import Cluster  # noqa: E402
from pipelines.keys import original_key, record_key  # noqa: E402
from pipelines.parse import parse_limits  # noqa: E402
from pipelines.parser import PARSER_VERSION  # noqa: E402
from pipelines.records import record_bytes  # noqa: E402
from pipelines.reparse import ReparseResult, reparse_archive  # noqa: E402
from pipelines.storage import open_archive  # noqa: E402
from tests.servers.cninfo import REAL_PDFS  # noqa: E402

SOURCE = "cninfo"
RECORDS = ROOT / "tests" / "fixtures" / "records"


def build_archive(root: Path, docs: int) -> list[str]:
    """``docs`` originals and bare records under ``root``; their record keys."""
    bodies = [(RECORDS / name).read_bytes() for name in REAL_PDFS]
    keys = []
    for n in range(docs):
        name = REAL_PDFS[n % len(REAL_PDFS)]
        data = bodies[n % len(bodies)] + f"%copy {n}\n".encode()  # distinct bytes, same parse
        source_id = f"{1225000000 + n}"
        file_key = original_key(SOURCE, source_id, ".pdf")
        record = {
            "source": SOURCE,
            "source_id": source_id,
            "stock_code": name[:6],
            "title": "投资者关系活动记录表",
            "published_at": f"2024-05-{1 + n % 28:02d}T18:00:00+08:00",
            "file": {"key": file_key, "size": len(data), "content_type": "application/pdf"},
        }
        for key, body in ((file_key, data), (record_key(SOURCE, source_id), record_bytes(record))):
            (root / key).parent.mkdir(parents=True, exist_ok=True)
            (root / key).write_bytes(body)
        keys.append(record_key(SOURCE, source_id))
    return keys


def make_stale(root: Path, keys: list[str]) -> None:
    """Every record as an older parser left it: all are parsed again and rewritten."""
    for key in keys:
        record = json.loads((root / key).read_bytes())
        record["parse"] = {**record.get("parse", {}), "parser_version": "0.1.0", "status": "stale"}
        record.pop("reparsed_at", None)
        (root / key).write_bytes(record_bytes(record))


def timed(root: Path, keys: list[str], store: Any, **how: Any) -> float:
    make_stale(root, keys)
    started = time.perf_counter()
    result: ReparseResult = reparse_archive(store, older_than=PARSER_VERSION, **how)
    seconds = time.perf_counter() - started
    expected = (len(keys), len(keys), 0, 0)
    got = (result.checked, result.changed, result.missing, result.current)
    if got != expected:
        raise SystemExit(f"reparse counted {got} (checked, changed, missing, current): {expected}")
    return seconds


def run_cluster(
    n: int, root: Path, keys: list[str], store: Any, settings: Any, rounds: int
) -> list[float]:
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # no bokeh: only the scheduler's HTTP routes
        silence_logs=logging.ERROR,
    ) as local:
        with Client(local, set_as_default=False) as client:
            client.wait_for_workers(n)
            client.run(_import_project)  # as a cluster that has been up for a while
        with Cluster(local.scheduler_address, settings) as cluster:
            return [
                timed(root, keys, store, cluster=cluster, limits=parse_limits(settings))
                for _ in range(rounds)
            ]


def _import_project() -> None:
    import pipelines.cluster  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=60)
    parser.add_argument("--workers", default="1,2,4", help="cluster sizes, comma-separated")
    parser.add_argument("--local-workers", type=int, default=2, help="PARSE_WORKERS locally")
    parser.add_argument("--batch", type=int, default=pipelines.cluster.BATCH)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--archive", type=Path, help="build the archive here and keep it")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.workers.split(",") if n.strip()]
    pipelines.cluster.BATCH = args.batch

    root = args.archive or Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    try:
        root.mkdir(parents=True, exist_ok=True)
        keys = build_archive(root, args.docs)
        from scrapy.settings import Settings

        settings = Settings({"ARCHIVE_URI": str(root)})
        store = open_archive(settings)
        reparse_archive(store, workers=args.local_workers)  # the parsed fields, once
        batches = math.ceil(args.docs / args.batch)
        print(
            f"{args.docs} records ({len(REAL_PDFS)} PDFs in turn), {batches} batches of "
            f"<= {args.batch}, {args.rounds} round(s) each, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f} (other work on the machine skews the times)",
            flush=True,
        )

        rows: list[tuple[str, list[float]]] = []
        local = [
            timed(root, keys, store, workers=args.local_workers, limits=parse_limits(settings))
            for _ in range(args.rounds)
        ]
        rows.append((f"local pool, PARSE_WORKERS={args.local_workers}", local))
        print(f"  done: {rows[-1][0]}", flush=True)
        for n in sizes:
            rows.append(
                (
                    f"cluster, {n} worker(s)",
                    run_cluster(n, root, keys, store, settings, args.rounds),
                )
            )
            print(f"  done: {rows[-1][0]}", flush=True)
    finally:
        if args.archive is None:
            shutil.rmtree(root, ignore_errors=True)

    one = dict(rows).get("cluster, 1 worker(s)")
    print()
    header = f"{'configuration':<28} {'cold s':>8} {'x1w':>6} {'docs/s':>7}"
    if args.rounds > 1:
        header += f" {'warm s':>8} {'x1w':>6} {'docs/s':>7}"
    print(header)
    for name, times in rows:
        line = f"{name:<28} " + _cells(times[0], one[0] if one else None, args.docs)
        if args.rounds > 1:
            warm, base = min(times[1:]), (min(one[1:]) if one else None)
            line += " " + _cells(warm, base, args.docs)
        print(line)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    if args.rounds > 2:
        print("(warm: best of rounds 2..R; median", end=" ")
        print(", ".join(f"{statistics.median(t[1:]):.2f}" for _, t in rows) + ")")
    return 0


def _cells(seconds: float, base: float | None, docs: int) -> str:
    speedup = f"{base / seconds:.2f}" if base else "-"
    return f"{seconds:>8.2f} {speedup:>6} {docs / seconds:>7.1f}"


if __name__ == "__main__":
    sys.exit(main())
