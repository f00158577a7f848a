"""parse_document never raises: broken, encrypted, empty, scanned and HTML inputs."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from pipelines.parser import PARSER_VERSION, parse_document
from pipelines.parser.result import FIELDS


def _check_shape(result: dict) -> None:
    for key in FIELDS:
        assert key in result
    assert set(result["parse"]) == {
        "status",
        "warnings",
        "parser_version",
        "format",
        "pages",
        "ocr_pages",
    }
    assert result["parse"]["parser_version"] == PARSER_VERSION


def _failed(result: dict, status: str = "failed") -> None:
    _check_shape(result)
    assert result["parse"]["status"] == status
    assert result["parse"]["warnings"]
    assert result["stock_code"] is None and result["qa"] == [] and result["participants"] == []


def test_empty_bytes() -> None:
    result = parse_document(b"")
    _failed(result)
    assert result["parse"]["warnings"] == ["empty file"]


def test_unknown_bytes() -> None:
    _failed(parse_document(b"\x00\x01 not a document"), "unsupported")


def test_corrupt_pdf() -> None:
    result = parse_document(b"%PDF-1.7\n" + b"garbage " * 200 + b"\n%%EOF\n")
    _failed(result)
    assert result["parse"]["format"] == "pdf"


def test_truncated_pdf(documents: Path) -> None:
    data = (documents / "sph_601607.pdf").read_bytes()
    result = parse_document(data[: len(data) // 3])
    _check_shape(result)
    assert result["parse"]["status"] in ("failed", "partial")
    assert result["parse"]["warnings"]


def test_encrypted_pdf(documents: Path) -> None:
    result = parse_document((documents / "encrypted.pdf").read_bytes())
    _failed(result)
    assert "encrypted" in result["parse"]["warnings"][0]


def test_pdf_without_text_layer(documents: Path) -> None:
    result = parse_document((documents / "scanned_image_only.pdf").read_bytes())
    _failed(result, "unsupported")  # a picture of an empty form: OCR finds no text on it
    assert "OCR of 1 page(s) read no text" in result["parse"]["warnings"][0]
    assert result["parse"]["ocr_pages"] == 1
    assert result["parse"]["pages"] is None or result["parse"]["pages"] >= 1


def test_html_block_page() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>403 Forbidden</title></head>"
        b"<body><h1>Access denied</h1><p>Your request was blocked.</p></body></html>"
    )
    result = parse_document(page)
    _failed(result, "unsupported")
    assert "403 Forbidden" in result["parse"]["warnings"][0]
    assert result["content_text"] and "Access denied" in result["content_text"]


def test_html_record_table_is_partial() -> None:
    page = (
        "<html><body><p>证券代码：300418 证券简称：昆仑万维</p><table>"
        "<tr><td>投资者关系活动类别</td><td><input type='checkbox'/>特定对象调研 "
        "<input type='checkbox' checked/>业绩说明会</td></tr>"
        "<tr><td>时间</td><td>2024 年 5 月 9 日 15:00-17:00</td></tr>"
        "<tr><td>参与单位名称及人员姓名</td><td>投资者网上提问</td></tr>"
        "<tr><td>投资者关系活动主要内容介绍</td><td>Q：问题一？<br>A：回答一。</td></tr>"
        "</table></body></html>"
    ).encode()
    result = parse_document(page)
    _check_shape(result)
    assert result["parse"]["status"] == "partial"
    assert result["stock_code"] == "300418"
    assert result["activity_types"] == ["业绩说明会"]
    assert result["start_date"] == "2024-05-09" and result["start_time"] == "15:00"
    assert result["qa"] == [{"question": "问题一？", "answer": "回答一。"}]


def test_broken_docx() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<not-xml")
    _failed(parse_document(buf.getvalue()))


def test_legacy_doc_converted(documents: Path) -> None:
    result = parse_document((documents / "castech_002222.doc").read_bytes())
    assert result["parse"]["format"] == "doc"
    assert result["parse"]["status"] == "ok"
    assert result["stock_code"] == "002222" and result["company_name"] == "福建福晶科技股份有限公司"
    assert result["activity_types"] == ["业绩说明会"]
    assert result["start_date"] == "2026-09-01" and result["end_time"] == "16:30"
    assert len(result["qa"]) == 3


def test_legacy_doc_without_libreoffice(monkeypatch: pytest.MonkeyPatch, documents: Path) -> None:
    from pipelines.parser import doc

    monkeypatch.setattr(doc, "soffice", lambda: None)
    result = parse_document((documents / "castech_002222.doc").read_bytes())
    _failed(result, "unsupported")
    assert "LibreOffice" in result["parse"]["warnings"][0]
