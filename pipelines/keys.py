"""The archive's key layout, in one place.

    originals/<source>/<source_id>.<ext>    the original bytes; the extension found from them
    originals/<source>/<source_id>/<name>   originals a spider fetched itself (p5w JSON and page)
    digests/<sha256>.json                   {source, source_id} that first archived these bytes
    records/<source>/<source_id>.json       one JSON record per document: metadata, file, parse
    runs/<source>/<start time>.jsonl        the feed of every item a run produced
    runs/<spider>/<start time>.summary.json what a run found, archived, skipped, and its errors
    state/index/<source>.jsonl              one line per record: what skips, reparse, export need
    state/<spider>/watermark.json           the last day a clean scheduled run covered
    state/<spider>/backfill/<range>.json    the finished windows of a backfill, for resuming

Keys are built only from the source name and the record's id, never from titles, so they are
stable across runs and safe for any input.
"""

from __future__ import annotations

import hashlib
import re

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def safe_segment(value: str) -> str:
    """``value`` if it is a plain key segment, else a stable hash (never slashes, dots, spaces)."""
    value = str(value)
    if _SAFE.match(value) and ".." not in value:
        return value
    return "h-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def original_key(source: str, source_id: str, extension: str) -> str:
    """Key of an original file; ``extension`` as found from its bytes, e.g. ``.pdf``."""
    return f"originals/{safe_segment(source)}/{safe_segment(source_id)}{extension}"


def held_original_key(source: str, source_id: str, name: str) -> str:
    """Key of one of several originals of a record, e.g. ``originals/p5w/<pid>/event.html``."""
    return f"originals/{safe_segment(source)}/{safe_segment(source_id)}/{safe_segment(name)}"


def digest_key(sha256: str) -> str:
    """Key of the marker naming the record that first archived the bytes with this sha256."""
    return f"digests/{safe_segment(sha256)}.json"


def record_key(source: str, source_id: str) -> str:
    return f"records/{safe_segment(source)}/{safe_segment(source_id)}.json"


def run_feed_key(source: str, started: str) -> str:
    """Key of a run's feed. Placeholders such as ``%(name)s`` pass through for Scrapy's FEEDS."""
    return f"runs/{source}/{started}.jsonl"


def run_summary_key(spider: str, started: str) -> str:
    return f"runs/{safe_segment(spider)}/{started}.summary.json"


def index_key(source: str) -> str:
    return f"state/index/{safe_segment(source)}.jsonl"


def watermark_key(spider: str) -> str:
    return f"state/{safe_segment(spider)}/watermark.json"


def backfill_key(spider: str, window: str) -> str:
    """Key of a backfill's finished windows; ``window`` names its range (and stock filter)."""
    return f"state/{safe_segment(spider)}/backfill/{safe_segment(window)}.json"
