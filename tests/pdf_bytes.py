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
