"""Scanned records: real records rendered to 200 dpi images and wrapped as image-only PDFs
(tests/scans.py) are read by OCR and scored against the same hand-checked truth as their text
PDFs; pages with text are never OCR'd."""

from __future__ import annotations

import json

import pypdfium2 as pdfium
import pytest

from pipelines.parser import ocr as ocr_module
from pipelines.parser import parse_document
from pipelines.parser.pdfpage import Char
from tests.paths import RECORDS, TESTS
from tests.scans import scanned_copy
from tests.truth_score import overall, score

TRUTH = TESTS / "truth"

# short records of three companies' templates (two pages each); bench/ocr_bench.py scans all
SCANNED = ("002837_20221109", "300502_20190524", "301269_20221122")


@pytest.mark.parametrize("name", SCANNED)
def test_a_scanned_record_reads_like_its_text_pdf(name):
    data = (RECORDS / f"{name}.pdf").read_bytes()
    truth = json.loads((TRUTH / f"{name}.json").read_text("utf-8"))

    result = parse_document(scanned_copy(data))

    assert result["parse"]["ocr_pages"] == len(pdfium.PdfDocument(data))
    # a misread may cost a field; the self-check then says partial, never ok with a loss
    assert result["parse"]["status"] in ("ok", "partial"), result["parse"]["warnings"]
    assert overall(score(result, truth)) >= 0.90


def test_pages_with_text_are_never_ocrd(monkeypatch):
    def no_ocr(page):
        raise AssertionError("a page with a text layer was sent to OCR")

    monkeypatch.setattr(ocr_module, "scan_page", no_ocr)
    result = parse_document((RECORDS / "002415_20201123.pdf").read_bytes())
    assert result["parse"]["ocr_pages"] == 0 and result["parse"]["status"] == "ok"


def test_glyphs_that_map_to_nothing_are_no_text_layer():
    def chars(text: str) -> list[Char]:
        return [Char(ch, 0, 1, 0, 1) for ch in text]

    assert ocr_module.usable(chars("\ufffd\ufffd\ue001\ue002  ")) == 0
    assert ocr_module.usable(chars("投资者关系\ufffd")) == 5


def test_a_poor_scan_is_read_with_a_low_confidence_warning():
    data = (RECORDS / "300470_20240925.pdf").read_bytes()

    result = parse_document(scanned_copy(data, dpi=30))  # worse than a fax

    assert result["parse"]["ocr_pages"] == 2
    assert any("low confidence" in w for w in result["parse"]["warnings"])
