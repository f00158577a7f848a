"""PDFs written by hand, object by object, for the tests and benchmarks that need one of a given
shape (pages, content size, a bomb) rather than a real record."""

from __future__ import annotations

from collections.abc import Sequence


def pdf_file(objects: Sequence[bytes], header: bytes = b"%PDF-1.7\n") -> bytes:
    """A PDF of these objects (``1 0 obj`` is the catalog), with a correct xref table."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_stream(data: bytes, extra: bytes = b"") -> bytes:
    """A stream object of ``data``; ``extra``: more entries of its dictionary (a filter)."""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def text_pdf(pages: int, lines: int = 0) -> bytes:
    """A PDF of ``pages`` pages of one line of text each, and ``lines`` ruling lines (each a
    path object the parser looks at: 20,000 take about 0.25 s); one content stream, shared."""
    content = b"BT /F1 12 Tf 72 720 Td (Investor relations activity record) Tj ET\n"
    content += b"".join(
        b"%d %d m %d %d l S\n" % (n % 500, n % 800, n % 500 + 50, n % 800) for n in range(lines)
    )
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    )
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids ["
            + b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
            + b"] /Count %d >>" % pages,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            pdf_stream(content),
        ]
        + [page] * pages
    )
