"""``scrapy extract``: JSON Lines on stdout, non-zero exit only for unreadable paths; each file
within the parse limits."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.conftest import run_scrapy, scrapy_outside_project
from tests.pdf_bytes import text_pdf

REPO = Path(__file__).resolve().parents[1]


def _scrapy(*args: str) -> subprocess.CompletedProcess:
    return run_scrapy("extract", *args)


def test_extract_prints_one_json_line_per_file(documents: Path) -> None:
    paths = [str(documents / "sph_601607.pdf"), str(documents / "tbea_600089.docx")]
    proc = _scrapy(*paths)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().split("\n")
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["file"] == paths[0] and second["file"] == paths[1]
    assert first["stock_code"] == "601607" and first["activity_types"] == ["分析师会议", "路演活动"]
    assert second["stock_name"] == "特变电工" and second["parse"]["format"] == "docx"
    assert "上海医药" in lines[0]  # ensure_ascii=False


def test_extract_missing_path_fails_after_printing_the_others(documents: Path) -> None:
    missing = str(documents / "does-not-exist.pdf")
    proc = _scrapy(missing, str(documents / "sph_601607.pdf"))
    assert proc.returncode != 0
    lines = proc.stdout.strip().split("\n")
    assert len(lines) == 1 and json.loads(lines[0])["stock_code"] == "601607"
    assert "does-not-exist.pdf" in proc.stderr


def test_extract_unparseable_file_is_not_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    proc = _scrapy(str(bad))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["parse"]["status"] == "failed"


def test_extract_works_outside_the_project(tmp_path: Path) -> None:
    """Registered through the ``scrapy.commands`` entry point: no scrapy.cfg needed."""
    record = REPO / "tests" / "fixtures" / "records" / "300308_20240617.pdf"
    proc = scrapy_outside_project(tmp_path, "extract", str(record))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stock_code"] == "300308"


def test_extract_fails_a_file_past_the_time_limit_and_parses_the_next(tmp_path: Path) -> None:
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(text_pdf(60, lines=20_000))  # about 15 s to parse
    record = REPO / "tests" / "fixtures" / "records" / "300308_20240617.pdf"

    started = time.monotonic()
    proc = _scrapy("-s", "PARSE_TIME_LIMIT=1", str(slow), str(record))
    took = time.monotonic() - started

    assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(line) for line in proc.stdout.strip().split("\n"))
    assert first["file"] == str(slow)
    assert first["parse"]["status"] == "failed"
    assert first["parse"]["warnings"] == ["parse timed out after 1 s"]
    assert second["stock_code"] == "300308" and second["parse"]["status"] == "ok"
    assert took < 12
