"""Every document is bounded: the parse workers' time and memory limits, their replacement after
a crash or N documents, their death with their parent, their environment without credentials,
and the parser's early guards against bombs. Real worker processes, small limits."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from pipelines.childenv import clean_env
from pipelines.parser import parse_document
from pipelines.workers import OutOfMemory, TaskTimeout, WorkerDied, WorkerPool
from tests.pdf_bytes import text_pdf

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "fixtures" / "records" / "002415_20201123.pdf"


# --- run in the workers (module level, so they pickle by reference) ---------------------------
# A worker imports this module to find them: pipelines.parse (and Scrapy with it) is imported in
# the tests only, which keeps a worker's start-up under a second.


def parse_pool(*args, **kwargs) -> WorkerPool:
    from pipelines.parse import parse_pool as pool

    return pool(*args, **kwargs)


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block) // (1024 * 1024)


def pid_then_sleep(path: str, seconds: float) -> int:
    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)
    return os.getpid()


def pause_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def environment() -> dict[str, str]:
    return dict(os.environ)


# --- documents ---------------------------------------------------------------------------------


def zip_bomb_docx(megabytes: int) -> bytes:
    """A DOCX whose word/document.xml is ``megabytes`` MB of zeros (about 1.4 MB on disk)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        chunk = bytes(16 * 1024 * 1024)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes // 16):
                member.write(chunk)
    return buffer.getvalue()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie no longer does: its reaper may be slow in a container)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _is_worker(pid: int) -> bool:
    try:
        return b"pipelines.worker_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


# --- the limits --------------------------------------------------------------------------------


def test_time_limit_fails_only_the_slow_task():
    with parse_pool(1, time_limit=2) as pool:
        slow = pool.submit(time.sleep, 30)
        queued = pool.submit(parse_document, RECORD.read_bytes())  # 0.3 s in a fresh worker
        started = time.monotonic()

        with pytest.raises(TaskTimeout, match=r"^parse timed out after 2 s$"):
            slow.result(timeout=20)
        assert time.monotonic() - started < 10
        assert queued.result(timeout=60)["parse"]["status"] == "ok"
    assert [exit.why for exit in pool.exits] == ["timeout", "stopped"]


def test_memory_limit_fails_only_the_hungry_task():
    with parse_pool(1, memory_limit_mb=400) as pool:
        hungry = pool.submit(allocate, 800)
        after = pool.submit(allocate, 100)

        with pytest.raises(OutOfMemory, match=r"^out of memory \(limit 400 MB\)$"):
            hungry.result(timeout=30)
        assert after.result(timeout=30) == 100
    assert pool.exits[0].why == "memory"


def test_worker_killed_mid_task_fails_only_its_task(tmp_path):
    marker = tmp_path / "pid"
    with parse_pool(2, time_limit=30) as pool:
        doomed = pool.submit(pid_then_sleep, str(marker), 30)
        beside = pool.submit(pause_then_pid, 1.0)  # in flight on the other worker
        queued = [pool.submit(os.getpid) for _ in range(4)]
        deadline = time.monotonic() + 20
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        victim = int(marker.read_text())
        os.kill(victim, signal.SIGKILL)

        with pytest.raises(WorkerDied, match=r"^the parse worker died \(signal 9, SIGKILL\)$"):
            doomed.result(timeout=20)
        assert beside.result(timeout=20) != victim
        pids = [future.result(timeout=20) for future in queued]
        assert victim not in pids


def test_worker_replaced_after_max_docs():
    with WorkerPool(1, max_tasks=2) as pool:
        pids = [pool.submit(os.getpid).result(timeout=30) for _ in range(5)]

    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert len(set(pids)) == 3
    assert [exit.why for exit in pool.exits] == ["retired", "retired", "stopped"]
    assert all(exit.returncode == 0 for exit in pool.exits)


def test_a_conversion_ends_with_its_worker_killed_mid_way(tmp_path):
    """LibreOffice converting a .doc when its parse worker is killed (a time limit, ``kill -9``)
    ends with the worker, not at the end of its own 60 s timeout."""
    from pipelines.parser import doc

    pidfile = tmp_path / "converter.pid"
    stand_in = ["sh", "-c", f"echo $$ > {pidfile}; exec sleep 60"]  # soffice, as _run starts it
    with WorkerPool(1, name="parse") as pool:
        worker = pool.submit(os.getpid).result(timeout=30)
        conversion = pool.submit(doc._run, stand_in, doc.TIMEOUT_SECONDS)
        deadline = time.monotonic() + 20
        while not pidfile.exists() or not pidfile.read_text().strip():
            assert time.monotonic() < deadline, "the conversion never started"
            time.sleep(0.05)
        converter = int(pidfile.read_text())
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(WorkerDied):
            conversion.result(timeout=30)

    deadline = time.monotonic() + 10
    while _alive(converter) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(converter)


def test_workers_die_with_their_parent_after_kill_9():
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pipelines.parse import parse_pool

        pool = parse_pool(2, time_limit=120)
        futures = [pool.submit(time.sleep, 120) for _ in range(2)]
        while len(pool.pids()) < 2:
            time.sleep(0.02)
        time.sleep(0.5)  # both past their start-up
        print(" ".join(map(str, pool.pids())), flush=True)
        time.sleep(120)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    workers: list[int] = []
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)

        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)

        assert not [pid for pid in workers if _alive(pid)]
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in workers:
            if _alive(pid) and _is_worker(pid):
                os.kill(pid, signal.SIGKILL)


def test_worker_environment_has_no_credentials(monkeypatch):
    canary = f"canary-{os.getpid()}-{time.time_ns()}"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", canary)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", canary)
    monkeypatch.setenv("MY_API_TOKEN", canary)
    monkeypatch.setenv("HTTPS_PROXY", f"http://crawler:{canary}@proxy.example:3128")
    monkeypatch.setenv("IR_HARMLESS_SETTING", "kept")

    with parse_pool(1) as pool:
        env = pool.submit(environment).result(timeout=30)

    assert not [name for name, value in env.items() if canary in value]
    assert env["IR_HARMLESS_SETTING"] == "kept" and env.get("PATH") == os.environ.get("PATH")


def test_clean_env_drops_secret_names_and_urls_with_passwords():
    env = clean_env(
        {
            "PATH": "/usr/bin",
            "HOME": "/root",
            "ARCHIVE_URI": "s3://bucket/prefix",
            "aws_endpoint_url": "http://127.0.0.1:8333",
            "GitHub_Token": "x",
            "DB_PASSWORD": "x",
            "GOOGLE_APPLICATION_CREDENTIALS": "/etc/key.json",
            "OPENAI_API_KEY": "x",
            "DATABASE_URL": "postgres://user:secret@db/records",
            "PROXY": "http://proxy:3128",
        }
    )

    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "ARCHIVE_URI": "s3://bucket/prefix",
        "PROXY": "http://proxy:3128",
    }


# --- the crawl's parse stage -------------------------------------------------------------------


def test_parse_stage_marks_a_timed_out_document_failed_and_goes_on():
    from pipelines.parse import ParsePipeline

    pipeline = ParsePipeline(crawler=None, workers=1, time_limit=0.5)
    pipeline.open_spider()
    try:
        slow = asyncio.run(pipeline.parse(text_pdf(60, lines=20_000)))  # about 15 s
        after = asyncio.run(pipeline.parse(b"not a document at all"))
    finally:
        pipeline.close_spider()

    assert slow["parse"]["status"] == "failed"
    assert slow["parse"]["warnings"] == ["parse timed out after 0.5 s"]
    assert slow["parse"]["format"] == "pdf"
    assert after["parse"]["status"] == "unsupported"


# --- the parser's early guards -----------------------------------------------------------------


def test_zip_bomb_docx_fails_fast_with_the_reason():
    bomb = zip_bomb_docx(304)
    assert len(bomb) < 4 * 1024 * 1024

    with parse_pool(1) as pool:
        started = time.monotonic()
        result = pool.submit(parse_document, bomb).result(timeout=30)
        took = time.monotonic() - started

    assert result["parse"]["status"] == "failed"
    assert result["parse"]["format"] == "docx"
    assert result["parse"]["warnings"] == ["zip bomb: declares 304 MB uncompressed"]
    assert took < 5


def test_pdf_past_the_page_limit_is_read_for_its_first_pages(monkeypatch):
    monkeypatch.setattr("pipelines.parser.pdf.MAX_PAGES", 5)

    result = parse_document(text_pdf(12))

    assert result["parse"]["pages"] == 12
    assert result["parse"]["status"] == "partial"
    assert "PDF has 12 pages; parsed the first 5" in result["parse"]["warnings"]
    assert result["content_text"] is None or result["content_text"].count("Investor") <= 5


def test_worker_that_died_while_idle_is_replaced_before_the_next_task():
    with WorkerPool(1) as pool:
        first = pool.submit(os.getpid).result(timeout=30)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(first) and time.monotonic() < deadline:
            time.sleep(0.02)

        assert pool.submit(os.getpid).result(timeout=30) != first
    assert [exit.returncode for exit in pool.exits] == [-signal.SIGKILL, 0]


def test_crash_in_a_c_library_fails_only_its_task():
    import ctypes

    with WorkerPool(1, name="parse") as pool:
        crash = pool.submit(ctypes.string_at, 0)  # reads address 0: SIGSEGV
        after = pool.submit(os.getpid)

        with pytest.raises(WorkerDied, match=r"^the parse worker died \(signal 11, SIGSEGV\)$"):
            crash.result(timeout=30)
        assert after.result(timeout=30) > 0
