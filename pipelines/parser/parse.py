"""The entry point: bytes in, fields out, never an exception."""

from __future__ import annotations

import logging
import subprocess
from typing import Any

from pipelines import filetypes

from .fields import extract_fields
from .result import FAILED, PARTIAL, UNSUPPORTED, empty_result

log = logging.getLogger(__name__)


def _pdf(data: bytes) -> dict[str, Any]:
    from .pdf import MAX_PAGES, Corrupt, Encrypted, NoTextLayer, read_pdf

    try:
        layout = read_pdf(data, max_pages=MAX_PAGES)
    except Encrypted as exc:
        return empty_result("pdf", FAILED, [f"encrypted PDF: {exc}"])
    except NoTextLayer as exc:
        result = empty_result("pdf", UNSUPPORTED, [str(exc)])
        result["parse"]["pages"], result["parse"]["ocr_pages"] = exc.pages, exc.ocr_pages
        return result
    except Corrupt as exc:
        return empty_result("pdf", FAILED, [f"corrupt PDF: {exc}"])
    result = extract_fields(layout)
    result["parse"]["ocr_pages"] = layout.ocr_pages
    if layout.pages and MAX_PAGES and layout.pages > MAX_PAGES:
        result["parse"]["status"] = PARTIAL  # read_pdf warned: the rest was not read
    return result


def _docx(data: bytes) -> dict[str, Any]:
    from .word import ZipBomb, read_docx

    try:
        return extract_fields(read_docx(data))
    except ZipBomb as exc:
        return empty_result("docx", FAILED, [str(exc)])


def _doc(data: bytes) -> dict[str, Any]:
    from .doc import ConverterMissing, read_doc

    try:
        return extract_fields(read_doc(data))
    except ConverterMissing as exc:
        return empty_result("doc", UNSUPPORTED, [str(exc)])
    except subprocess.TimeoutExpired:
        return empty_result("doc", FAILED, ["LibreOffice conversion timed out"])


def _html(data: bytes) -> dict[str, Any]:
    from .webpage import read_html

    layout, text = read_html(data)
    result = extract_fields(layout)
    if result["parse"]["status"] == "ok":
        result["parse"]["status"] = PARTIAL
        result["parse"]["warnings"].append("parsed from an HTML page")
        return result
    title = filetypes.html_title(data)
    out = empty_result(
        "html", UNSUPPORTED, [f"HTML page without a record table (title: {title!r})"]
    )
    out["content_text"] = text or None
    return out


_READERS = {filetypes.PDF: _pdf, filetypes.DOCX: _docx, filetypes.DOC: _doc, filetypes.HTML: _html}


def parse_document(data: bytes) -> dict[str, Any]:
    """Parse an original file's bytes into the record fields (see README); never raises, but
    for MemoryError, which the worker pool (:mod:`pipelines.workers`) reports as out of memory.

    Top-level and picklable, so a worker pool can call it directly.
    """
    if not data:
        return empty_result(None, FAILED, ["empty file"])
    try:
        kind = filetypes.sniff(data)
    except Exception as exc:
        return empty_result(None, FAILED, [f"cannot tell the file type: {exc}"])
    if kind is None:
        return empty_result(None, UNSUPPORTED, ["unknown file type (not PDF, DOCX, DOC or HTML)"])
    try:
        result = _READERS[kind](data)
    except MemoryError:
        raise
    except Exception as exc:
        log.debug("parse failed", exc_info=True)
        result = empty_result(kind, FAILED, [f"{type(exc).__name__}: {exc}"[:300]])
    if (
        kind == filetypes.PDF
        and not filetypes.looks_complete(kind, data)
        and result["parse"]["status"] != FAILED
    ):
        result["parse"]["warnings"].append("file looks truncated (no %%EOF at the end)")
        if result["parse"]["status"] == "ok":
            result["parse"]["status"] = PARTIAL
    return result


def parse_file(path: str) -> dict[str, Any]:
    """``parse_document`` on a file's bytes (OSError if it cannot be read)."""
    with open(path, "rb") as fh:
        return parse_document(fh.read())
