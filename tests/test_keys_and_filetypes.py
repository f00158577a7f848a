"""Archive keys are safe for any id; originals are told apart by their bytes."""

from __future__ import annotations

import io

import docx
import pytest

from pipelines.filetypes import DOC, DOCX, HTML, PDF, BadOriginal, check_original, sniff
from pipelines.keys import original_key, record_key
from tests.paths import RECORDS


@pytest.mark.parametrize(
    "source_id", ["../../etc/passwd", "/abs", "a b", "中文标题", "x/../y", "", "..", "a" * 300]
)
def test_keys_stay_inside_their_folder_for_any_id(source_id):
    for key in (original_key("cninfo", source_id, ".pdf"), record_key("cninfo", source_id)):
        parts = key.split("/")
        assert len(parts) == 3 and parts[0] in {"originals", "records"} and parts[1] == "cninfo"
        assert ".." not in parts[2].split(".") and " " not in key and not key.startswith("/")
        assert parts[2].isascii() and len(parts[2]) <= 140


def test_keys_are_stable_and_distinct():
    assert record_key("cninfo", "1225461888") == "records/cninfo/1225461888.json"
    assert original_key("cninfo", "1225461888", ".docx") == "originals/cninfo/1225461888.docx"
    assert record_key("cninfo", "a b") == record_key("cninfo", "a b")
    assert record_key("cninfo", "a b") != record_key("cninfo", "a  b")


def test_real_pdfs_are_complete_pdfs():
    pdfs = sorted(RECORDS.glob("*.pdf"))
    assert pdfs, f"no PDFs in {RECORDS}"
    for path in pdfs:
        data = path.read_bytes()
        assert check_original(data, "PDF") == PDF
        with pytest.raises(BadOriginal, match="truncated PDF"):
            check_original(data[: len(data) // 3], "PDF")


def test_docx_doc_and_html_are_told_from_their_bytes_not_their_name():
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    assert sniff(buffer.getvalue()) == DOCX
    assert check_original(buffer.getvalue(), "PDF") == DOCX  # the listing said PDF: bytes win
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1528) == DOC
    assert sniff(b"  <!DOCTYPE html><html></html>") == HTML
    assert sniff(b"PK\x03\x04 some other zip") is None


@pytest.mark.parametrize(
    ("body", "declared", "message"),
    [
        (b"", "PDF", "empty response body"),
        (
            "<html><title>访问被拦截！</title></html>".encode(),
            "PDF",
            "HTML page (title '访问被拦截！'",
        ),
        ("<html><title>访问被拦截！</title></html>".encode(), "HTML", "HTML page"),
        (b'{"announcements": null}', "PDF", "unrecognised content"),
    ],
)
def test_bodies_that_are_not_the_document_are_refused(body, declared, message):
    with pytest.raises(BadOriginal, match=message.replace("(", r"\(")):
        check_original(body, declared)


def test_an_announced_html_original_is_kept():
    page = "<html><head><title>投资者关系活动记录表</title></head><body>…</body></html>".encode()
    assert check_original(page, "HTML") == HTML
