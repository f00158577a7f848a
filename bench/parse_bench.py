"""Paired parser benchmark: the project's parser against a naive pdfplumber parse, per CPU second.

Usage::

    .venv/bin/python bench/parse_bench.py [--corpus DIR] [--limit N] [--rounds R]
                                          [--memory-rounds M] [--no-speedup]

On the same PDFs (default ``tests/fixtures/records/*.pdf``; ``--corpus ../shared/corpus/real2``
for another folder; ``--limit N`` takes N of them spread over the sorted list, 0 = all), one
run measures the CPU seconds of:

naive     pdfplumber in this process: ``page.extract_text(); page.extract_tables()`` per page
parse     ``pipelines.parser.parse_document`` in this process
extract   ``python -m scrapy extract FILE...`` as a subprocess, all files in one batch per round;
          its start-up (the same command on a one-page PDF) is measured too and subtracted
crawl     the crawl's parse stage: ``ParsePipeline.parse`` (``parse_pool`` worker processes,
          ``pool.submit(parse_document, data)``) with 1 worker; the worker's CPU (read in the
          worker) plus this process's (pickling, IPC); the pool's start-up is shown apart
reparse   ``python -m scrapy reparse --workers 1`` on a temporary local archive holding the files
          as ``originals/bench/<id>.pdf`` with a bare ``records/bench/<id>.json`` each; start-up
          (a one-document archive) measured and subtracted

Each round runs every variant once, the order reversed every other round. Subprocess CPU is
``getrusage(RUSAGE_CHILDREN)`` deltas (which include the reparse worker, reaped before the
command exits). The report gives documents and pages per CPU second and each variant's rate as a
multiple of the naive parse's in the same run (the goal is at least 2x). Then the wall-clock
speed-up of a 2-worker parse pool over 1 worker (skip with ``--no-speedup``), and the memory
check: a fresh process parses every file ``--memory-rounds`` times and prints its RSS after each
round (flat after the first round = no leak).

The defaults (the 45 fixture PDFs, 2 rounds, 5 memory rounds) take under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pdfplumber  # noqa: E402

from pipelines.parse import ParsePipeline  # noqa: E402
from pipelines.parser import parse_document  # noqa: E402
from tests.pdf_bytes import pdf_file, pdf_stream  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "records"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
SOURCE = "bench"
T = TypeVar("T")


def tiny_pdf() -> bytes:
    """A valid one-page PDF with one word: what a start-up measurement parses."""
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            pdf_stream(b"BT /F1 12 Tf 20 50 Td (tiny) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
        header=b"%PDF-1.4\n",
    )


def naive_parse(data: bytes) -> int:
    """The baseline: every page's text and tables with pdfplumber. Returns the page count."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
        return len(pdf.pages)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the variants: each returns the CPU seconds its batch of documents took -------------------


def in_process(parse: Callable[[bytes], T], blobs: list[bytes]) -> tuple[float, list[T]]:
    gc.collect()
    start = time.process_time()
    results = [parse(data) for data in blobs]
    return time.process_time() - start, results


def run_command(args: list[str], what: str) -> tuple[float, subprocess.CompletedProcess]:
    """CPU seconds of ``python -m scrapy ARGS`` run from the repository root (and its
    children, once reaped), and its result; exits with its stderr when it fails."""
    env = {k: v for k, v in os.environ.items() if k not in ("ARCHIVE_URI", "LOG_LEVEL")}
    before = children_cpu()
    proc = subprocess.run(
        [PYTHON, "-m", "scrapy", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    cpu = children_cpu() - before
    if proc.returncode != 0:
        sys.exit(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return cpu, proc


def extract(paths: list[Path]) -> float:
    cpu, proc = run_command(["extract", *map(str, paths)], "scrapy extract")
    lines = proc.stdout.splitlines()
    if len(lines) != len(paths):
        sys.exit(f"scrapy extract: {len(lines)} results for {len(paths)} files")
    return cpu


def build_archive(root: Path, blobs: list[bytes]) -> None:
    """A local archive with the layout of pipelines/keys.py: an original and a bare record
    (listing metadata and file key, no parsed fields) per document; reparse builds the index."""
    for n, data in enumerate(blobs):
        source_id = f"doc{n:04d}"
        key = f"originals/{SOURCE}/{source_id}.pdf"
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
        record = {
            "source": SOURCE,
            "source_id": source_id,
            "published_at": "2024-01-02T00:00:00+08:00",
            "file": {"key": key, "size": len(data), "content_type": "application/pdf"},
        }
        path = root / f"records/{SOURCE}/{source_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")


def reparse(blobs: list[bytes]) -> float:
    with tempfile.TemporaryDirectory(prefix="parse-bench-archive-") as tmp:
        build_archive(Path(tmp), blobs)
        args = ["reparse", "--workers", "1", "-s", f"ARCHIVE_URI={tmp}"]
        cpu, proc = run_command(args, "scrapy reparse")
    expected = f"reparse: {len(blobs)} records checked, {len(blobs)} rewritten, 0 missing"
    if expected not in proc.stderr:
        sys.exit(f"scrapy reparse did not parse every document:\n{proc.stderr[-3000:]}")
    return cpu


@dataclass
class StageRun:
    cpu: float  # the batch: worker CPU during it plus this process's
    startup: float  # the pool: spawning the worker, its imports, a warm-up parse
    wall: float


def warm_worker(data: bytes) -> int:
    """In a pool worker: a first parse (imports), then which process this is."""
    parse_document(data)
    time.sleep(0.1)  # leave the next task to another worker
    return os.getpid()


def crawl_stage(blobs: list[bytes], warmup: bytes, workers: int = 1) -> StageRun:
    """The crawl's parse stage as ParsePipeline runs it: every item's ``parse`` awaited at once
    (Scrapy processes many items concurrently) on a pool of ``workers`` processes."""
    gc.collect()
    reaped = children_cpu()
    pipeline = ParsePipeline(crawler=None, workers=workers)  # the crawler is only for stats
    pipeline.open_spider()
    pool = pipeline.pool
    assert pool is not None
    started: set[int] = set()  # every worker up, the parser imported in each
    for _ in range(50):
        started |= {f.result() for f in [pool.submit(warm_worker, warmup) for _ in range(workers)]}
        if len(started) == workers:
            break

    async def batch() -> list[dict]:
        return await asyncio.gather(*(pipeline.parse(data) for data in blobs))

    worker_before = pool.submit(time.process_time).result() if workers == 1 else 0.0
    own_before, wall_before = time.process_time(), time.perf_counter()
    results = asyncio.run(batch())
    wall = time.perf_counter() - wall_before
    own = time.process_time() - own_before
    worker = pool.submit(time.process_time).result() - worker_before if workers == 1 else 0.0
    pipeline.close_spider()
    if len(results) != len(blobs):
        sys.exit(f"crawl parse stage: {len(results)} results for {len(blobs)} documents")
    return StageRun(cpu=worker + own, startup=children_cpu() - reaped - worker, wall=wall)


# --- memory ---------------------------------------------------------------------------------


def memory_rounds(paths: list[str], rounds: int) -> list[tuple[float, float]]:
    """In a fresh process: (RSS, peak RSS) in MB before and after each round of parsing every
    file once."""
    blobs = [Path(p).read_bytes() for p in paths]
    parse_document(tiny_pdf())
    gc.collect()
    seen = [(rss_mb(), peak_rss_mb())]
    for _ in range(rounds):
        for data in blobs:
            parse_document(data)
        gc.collect()
        seen.append((rss_mb(), peak_rss_mb()))
    return seen


# --- the run --------------------------------------------------------------------------------


@dataclass
class Tally:
    cpu: list[float] = field(default_factory=list)
    startup: list[float] = field(default_factory=list)
    subtract: bool = True  # the start-up is in ``cpu`` (a command run), not apart (the pool)

    def mean_startup(self) -> float:
        return sum(self.startup) / len(self.startup) if self.startup else 0.0

    def per_batch(self) -> float:
        """Mean CPU seconds of one batch, start-up subtracted."""
        return sum(self.cpu) / len(self.cpu) - (self.mean_startup() if self.subtract else 0.0)


def pick(paths: list[Path], limit: int) -> list[Path]:
    """``limit`` paths spread over the sorted list (all of them for 0)."""
    if not limit or limit >= len(paths):
        return paths
    return [paths[i * len(paths) // limit] for i in range(limit)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=FIXTURES, help="folder of PDFs")
    parser.add_argument("--limit", type=int, default=0, help="files to use (0 = all)")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds (order alternates)")
    parser.add_argument("--memory-rounds", type=int, default=5, help="0 to skip the memory check")
    parser.add_argument("--no-speedup", action="store_true", help="skip the 2-vs-1 worker run")
    opts = parser.parse_args()

    # a fair baseline: pdfminer's debug records are not built (its logger at WARNING)
    logging.getLogger("pdfminer").setLevel(logging.WARNING)
    paths = pick(sorted(opts.corpus.glob("*.pdf")), opts.limit)
    if not paths:
        sys.exit(f"no PDFs in {opts.corpus}")
    blobs = [p.read_bytes() for p in paths]
    tiny = tiny_pdf()
    docs = len(blobs)

    started = time.perf_counter()
    naive_parse(tiny)  # imports and first-call caches, for both in-process variants
    parse_document(tiny)
    pages = 0
    statuses: Counter[str] = Counter()
    tallies = {name: Tally() for name in ("naive", "parse", "extract", "crawl", "reparse")}
    tallies["crawl"].subtract = False
    crawl_walls: list[float] = []
    with tempfile.TemporaryDirectory(prefix="parse-bench-") as tmp:
        tiny_path = Path(tmp) / "tiny.pdf"
        tiny_path.write_bytes(tiny)

        def run_naive() -> None:
            nonlocal pages
            cpu, counts = in_process(naive_parse, blobs)
            tallies["naive"].cpu.append(cpu)
            pages = sum(counts)

        def run_parse() -> None:
            nonlocal statuses
            cpu, results = in_process(parse_document, blobs)
            tallies["parse"].cpu.append(cpu)
            statuses = Counter(result["parse"]["status"] for result in results)

        def run_extract() -> None:
            tallies["extract"].startup.append(extract([tiny_path]))
            tallies["extract"].cpu.append(extract(paths))

        def run_crawl() -> None:
            stage = crawl_stage(blobs, tiny)
            tallies["crawl"].cpu.append(stage.cpu)
            tallies["crawl"].startup.append(stage.startup)
            crawl_walls.append(stage.wall)

        def run_reparse() -> None:
            tallies["reparse"].startup.append(reparse([tiny]))
            tallies["reparse"].cpu.append(reparse(blobs))

        variants = [run_naive, run_parse, run_extract, run_crawl, run_reparse]
        for round_no in range(opts.rounds):
            for variant in variants if round_no % 2 == 0 else variants[::-1]:
                variant()
                print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr, flush=True)

    print(
        f"{docs} PDFs from {opts.corpus} ({pages} pages; parse status "
        f"{', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}), {opts.rounds} rounds "
        f"(order reversed every other round), python {sys.version.split()[0]}"
    )
    print(f"{'':<36}{'CPU s/batch':>12}{'docs/CPU s':>12}{'pages/CPU s':>13}  vs naive")
    naive_rate = docs / tallies["naive"].per_batch()
    labels = {
        "naive": "naive pdfplumber (in-process)",
        "parse": "parse_document (in-process)",
        "extract": "scrapy extract (subprocess)",
        "crawl": "crawl parse stage (1 pool worker)",
        "reparse": "scrapy reparse (--workers 1)",
    }
    for name, tally in tallies.items():
        cpu = tally.per_batch()
        rate = docs / cpu
        versus = f"{name}: {rate / naive_rate:.1f}x naive" if name != "naive" else "baseline"
        if tally.subtract and tally.mean_startup() > cpu:
            versus += "  (unreliable: start-up outweighs the batch; use more files)"
        print(f"{labels[name]:<36}{cpu:12.2f}{rate:12.2f}{pages / cpu:13.1f}  {versus}")
    for name, what in (
        ("extract", "process start-up (subtracted)"),
        ("crawl", "pool start-up (once per crawl, not counted)"),
        ("reparse", "process + pool start-up (subtracted)"),
    ):
        print(f"  {name} {what}: {tallies[name].mean_startup():.2f} CPU s")
    slow = [n for n, t in tallies.items() if n != "naive" and docs / t.per_batch() < 2 * naive_rate]
    print("goal (>= 2x naive):", "met by all" if not slow else "NOT met by " + ", ".join(slow))

    if not opts.no_speedup:
        one = sum(crawl_walls) / len(crawl_walls)
        two = crawl_stage(blobs, tiny, workers=2).wall
        print(
            f"parse pool wall time: 1 worker {one:.2f} s, 2 workers {two:.2f} s, "
            f"speed-up 2 vs 1: {one / two:.2f}x ({os.cpu_count()} CPUs)"
        )

    if opts.memory_rounds:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            seen = pool.submit(memory_rounds, list(map(str, paths)), opts.memory_rounds).result()
        rss = " ".join(f"{r:.0f}" for r, _ in seen[1:])
        growth = seen[-1][0] - seen[1][0]
        peak_growth = seen[-1][1] - seen[1][1]
        verdict = "flat" if max(growth, peak_growth) < 0.02 * seen[1][0] + 5 else "GROWING"
        print(
            f"memory, parse_document x {docs} files x {opts.memory_rounds} rounds in a fresh "
            f"process: RSS {seen[0][0]:.0f} MB before, after each round {rss} MB; growth after "
            f"round 1: RSS {growth:+.1f} MB, peak RSS {peak_growth:+.1f} MB ({verdict})"
        )
    print(f"bench took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
