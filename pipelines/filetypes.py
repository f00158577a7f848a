"""Tell what a downloaded body really is, from its bytes, never from the URL.

cninfo serves PDF, DOCX, legacy DOC and HTML originals, and a WAF block page can arrive
with status 200 where a PDF was expected; these helpers let the archive tell them apart.
"""

from __future__ import annotations

import re

PDF = "pdf"
DOCX = "docx"
DOC = "doc"
HTML = "html"

EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", DOC: ".doc", HTML: ".html"}
CONTENT_TYPES = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DOC: "application/msword",
    HTML: "text/html",
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(
    rb"^\s*(<!doctype html|<html|<head|<body|<meta|<title|<script|<div|<p[ >])", re.I
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def sniff(data: bytes) -> str | None:
    """Return PDF, DOCX, DOC or HTML for ``data``, or None when it is none of them."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and not _HTML_START.match(head)):
        return PDF
    if head.startswith(_OLE_MAGIC):
        return DOC
    if head.startswith(b"PK\x03\x04"):
        return DOCX if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536] else None
    if _HTML_START.match(head):
        return HTML
    return None


def looks_complete(kind: str, data: bytes) -> bool:
    """Whether a body of type ``kind`` ends the way a whole file of that type ends."""
    tail = data[-2048:]
    if kind == PDF:
        return b"%%EOF" in tail
    if kind == DOCX:
        return b"PK\x05\x06" in data[-65536:]
    if kind == DOC:
        return len(data) % 512 == 0 and len(data) >= 1536
    return True


def html_title(data: bytes) -> str | None:
    """The <title> of an HTML body (for error messages about block pages)."""
    match = _TITLE.search(data[:65536])
    if not match:
        return None
    return decode_html(match.group(1).strip())


def decode_html(data: bytes) -> str:
    """Text of an HTML body from a Chinese site: UTF-8, else GB18030."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


class BadOriginal(ValueError):
    """A body that is not the document it should be; the message says what came back."""


_HTML_DECLARED = {"html", "htm", "js", "shtml"}
_BLOCK_PAGE_HINTS = ("拦截", "验证", "forbidden", "access denied", "captcha")


def check_original(data: bytes, declared: str | None = None) -> str:
    """The kind of a downloaded original, or BadOriginal saying why it is not one.

    ``declared`` is the type the listing announced (cninfo ``adjunctType``): an HTML body is an
    original only where HTML was announced, and never when it looks like a block page.
    """
    want = (declared or "document").lower()
    if not data:
        raise BadOriginal(f"empty response body where a {want} document was expected")
    kind = sniff(data)
    if kind == HTML:
        title = html_title(data)
        blocked = title is not None and any(h in title.lower() for h in _BLOCK_PAGE_HINTS)
        if want not in _HTML_DECLARED or blocked:
            raise BadOriginal(
                f"an HTML page (title {title!r}, {len(data)} bytes) came back where a {want} "
                "document was expected"
            )
    if kind is None:
        raise BadOriginal(
            f"unrecognised content ({len(data)} bytes, starting {data[:16]!r}) where a {want} "
            "document was expected"
        )
    if not looks_complete(kind, data):
        raise BadOriginal(f"truncated {kind.upper()} ({len(data)} bytes, its end is missing)")
    return kind
