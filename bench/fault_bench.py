"""Fault benchmark: hostile documents through the real parse pool, each bounded by its limits.

Usage::

    .venv/bin/python bench/fault_bench.py [--no-unguarded] [--time-limit S] [--memory-limit-mb MB]

Builds in a temporary folder, by hand (no tool but zlib):

zip bomb      a DOCX whose three members (document.xml and two "images") are 3.5 GiB of zeros
              each: about 10.8 MB expanding to 10.5 GiB (deflate's ceiling is about 1030:1; a
              smaller file for the same size needs overlapping members, which no DOCX has)
stream bomb   a one-page PDF whose content stream is FlateDecode of 2 GiB of spaces (2 MB file)
ops bomb      a one-page PDF whose content stream is 1 GiB of ``0 0 m 100 0 l S`` drawing
              operators (67 million path objects; 2 MB file)
100k pages    a PDF of 100,000 pages, each with 40 lines of text and 30 rulings (15 MB)

and runs each through ``parse_pool`` (one worker, the crawl's default limits unless given), once
as the crawl would (``parse_document``) and, unless ``--no-unguarded``, once with the parser's
early guards switched off (no zip check, no page limit), which leaves the bomb to the time and
memory limits alone. For each: the outcome (parse status and first warning, or the pool's
reason), the wall time from submit to result on a warm worker, and the worker's peak RSS (from
``wait4()`` when it exits). The baseline is a normal record (``tests/fixtures/records/
002415_20201123.pdf``, mean of 5 parses), so times read as multiples of it.
"""

from __future__ import annotations

import argparse
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.parse import PARSE_MEMORY_LIMIT_MB, PARSE_TIME_LIMIT, parse_pool  # noqa: E402
from pipelines.parser import parse_document  # noqa: E402
from tests.pdf_bytes import pdf_file, pdf_stream  # noqa: E402

RECORD = REPO / "tests" / "fixtures" / "records" / "002415_20201123.pdf"
GiB = 1 << 30
MiB = 1 << 20
BINARY_PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"  # the header, with the binary-file marker


# --- building the files ------------------------------------------------------------------------


def deflate_repeated(unit: bytes, size: int, chunk: int = 64 * MiB) -> tuple[bytes, int, int]:
    """Raw deflate of ``unit`` repeated to about ``size`` bytes, built in about a second: after
    a sync flush the compressor's state repeats, so the compressed form of one more chunk is the
    same bytes every time. Returns (deflate bytes, uncompressed size, crc32)."""
    block = unit * (chunk // len(unit))
    count = max(3, size // len(block))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    middle = compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    last = compressor.compress(block) + compressor.flush()
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    return first + middle * (count - 2) + last, len(block) * count, crc


def zlib_repeated(unit: bytes, size: int) -> tuple[bytes, int]:
    """The same as a zlib stream (PDF FlateDecode): header, deflate, Adler-32."""
    block = unit * (64 * MiB // len(unit))
    raw, total, _ = deflate_repeated(unit, size)
    adler = 1
    for _ in range(total // len(block)):
        adler = zlib.adler32(block, adler)
    return b"\x78\xda" + raw + struct.pack(">I", adler), total


def zip_bomb_docx(member_size: int = 3584 * MiB, members: int = 3) -> tuple[bytes, int]:
    """A DOCX (valid package parts, then bomb members), written by hand: zipfile would deflate
    every byte. Returns (file bytes, total uncompressed size)."""
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" '
        b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Default Extension="png" ContentType="image/png"/>'
        b'<Override PartName="/word/document.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    bomb, bomb_size, bomb_crc = deflate_repeated(b"\0", member_size)
    entries: list[tuple[bytes, bytes, int, int]] = []  # name, deflated, size, crc
    for name, data in ((b"[Content_Types].xml", content_types), (b"_rels/.rels", rels)):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        deflated = compressor.compress(data) + compressor.flush()
        entries.append((name, deflated, len(data), zlib.crc32(data)))
    names = [b"word/document.xml"] + [b"word/media/image%d.png" % n for n in range(1, members)]
    entries += [(name, bomb, bomb_size, bomb_crc) for name in names]
    out = bytearray()
    central = bytearray()
    for name, deflated, size, crc in entries:
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(name), 0
        )
        out += name + deflated
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(deflated),
            size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += name
    start = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0
    )
    return bytes(out), sum(size for _, _, size, _ in entries)


def content_bomb_pdf(unit: bytes, size: int) -> tuple[bytes, int]:
    """One page whose content stream inflates to ``size`` bytes of ``unit`` repeated."""
    data, total = zlib_repeated(unit, size)
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            pdf_stream(data, b" /Filter /FlateDecode"),
        ],
        header=BINARY_PDF,
    ), total


def many_pages_pdf(pages: int = 100_000) -> bytes:
    """``pages`` pages sharing one content stream: 40 lines of text and 30 rulings, about what
    a record's page holds."""
    text = b"".join(
        b"BT /F1 10 Tf 60 %d Td (Line %d of an investor relations activity record) Tj ET\n"
        % (780 - 18 * n, n)
        for n in range(40)
    )
    rules = b"".join(b"50 %d m 545 %d l S\n" % (60 + 24 * n, 60 + 24 * n) for n in range(30))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    )
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            pdf_stream(text + rules),
        ]
        + [page] * pages,
        header=BINARY_PDF,
    )


# --- run in the worker -------------------------------------------------------------------------


def parse_unguarded(data: bytes) -> dict[str, Any]:
    """``parse_document`` with the parser's early guards off: no zip check, no page limit."""
    import pipelines.parser.pdf as pdf
    import pipelines.parser.word as word

    pdf.MAX_PAGES = None
    word.check_zip = lambda data: None
    return parse_document(data)


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    what: str
    wall: float
    peak_mb: float | None
    died: str


def run_case(
    fn: Callable[[bytes], dict[str, Any]], data: bytes, time_limit: float, memory_mb: int
) -> Outcome:
    """``fn(data)`` on a fresh one-worker pool, timed from submit to result on a warm worker."""
    with parse_pool(1, time_limit=time_limit, memory_limit_mb=memory_mb) as pool:
        pool.submit(len, b"").result()  # the worker started and its imports done
        started = time.perf_counter()
        future = pool.submit(fn, data)
        try:
            parse = future.result()["parse"]
            first = (parse["warnings"] or ["no warning"])[0]
            what = f"{parse['status']}: {first}"
        except Exception as exc:
            what = f"{type(exc).__name__}: {exc}"
        wall = time.perf_counter() - started
    exits = pool.exits
    peak = max((e.peak_rss_mb or 0 for e in exits), default=None)
    died = ", ".join(f"{e.why} rc={e.returncode}" for e in exits)
    return Outcome(what, wall, peak, died)


def baseline(time_limit: float, memory_mb: int, rounds: int = 5) -> Outcome:
    data = RECORD.read_bytes()
    with parse_pool(1, time_limit=time_limit, memory_limit_mb=memory_mb) as pool:
        pool.submit(parse_document, data).result()  # warm: imports, first-parse caches
        started = time.perf_counter()
        for _ in range(rounds):
            parse = pool.submit(parse_document, data).result()["parse"]
        wall = (time.perf_counter() - started) / rounds
    peak = max((e.peak_rss_mb or 0 for e in pool.exits), default=None)
    return Outcome(f"{parse['status']}, {parse['pages']} pages", wall, peak, "stopped")


def size(n: float) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / MiB:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=PARSE_TIME_LIMIT)
    parser.add_argument("--memory-limit-mb", type=int, default=PARSE_MEMORY_LIMIT_MB)
    parser.add_argument(
        "--no-unguarded", action="store_true", help="skip the runs with the early guards off"
    )
    opts = parser.parse_args()
    limit, memory = opts.time_limit, opts.memory_limit_mb
    print(f"limits: {limit:g} s, {memory} MB of address space per worker; one worker per case")

    base = baseline(limit, memory)
    print(
        f"baseline  {RECORD.name} ({size(RECORD.stat().st_size)}): {base.what}, "
        f"{base.wall:.3f} s a parse, worker peak RSS {base.peak_mb:.0f} MB"
    )

    with tempfile.TemporaryDirectory(prefix="fault-bench-") as tmp:
        cases: list[tuple[str, Path, str]] = []
        for name, build in (
            ("zip bomb", lambda: zip_bomb_docx()),
            ("stream bomb", lambda: content_bomb_pdf(b" ", 2 * GiB)),
            ("ops bomb", lambda: content_bomb_pdf(b"0 0 m 100 0 l S\n", GiB)),
            ("100k pages", lambda: (many_pages_pdf(), None)),
        ):
            started = time.perf_counter()
            data, expands = build()
            path = Path(tmp) / name.replace(" ", "_")
            path.write_bytes(data)
            grows = f" -> {size(expands)} ({expands / len(data):,.0f}:1)" if expands else ""
            note = f"{size(len(data))}{grows}, built in {time.perf_counter() - started:.1f} s"
            cases.append((name, path, note))
            del data

        runs = [("guarded", parse_document)]
        if not opts.no_unguarded:
            runs.append(("unguarded", parse_unguarded))
        print()
        print(f"{'case':<12} {'parser':<9} {'wall':>9} {'x base':>8} {'peak RSS':>9}  outcome")
        for name, path, note in cases:
            print(f"{name:<12} {note}")
            data = path.read_bytes()
            for label, fn in runs:
                out = run_case(fn, data, limit, memory)
                peak = f"{out.peak_mb:.0f} MB" if out.peak_mb is not None else "?"
                print(
                    f"{'':<12} {label:<9} {out.wall:>8.2f}s {out.wall / base.wall:>7.0f}x "
                    f"{peak:>9}  {out.what}  [worker: {out.died}]",
                    flush=True,
                )


if __name__ == "__main__":
    main()
