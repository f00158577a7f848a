"""The archive's key layout, in one place.

    originals/<source>/<source_id>.<ext>    the original bytes; the extension found from them
    originals/<source>/<source_id>/<name>   originals a spider fetched itself (p5w JSON and page)
    digests/<sha256>.json                   {source, source_id} that first archived these bytes
    records/<source>/<source_id>.json       one JSON record per document: metadata, file, parse
    runs/<source>/<run id>.jsonl            the feed of every item a run produced
    runs/<spider>/<run id>.summary.json     what a run found, archived, skipped, and its errors
    state/index/<source>/<run id>-<n>.jsonl the index: segments of lines, merged on read (a
                                            compaction's: <last merged>_c<random>.jsonl)
    state/index/<source>.jsonl              the index as one file (before segments), read first
    state/<spider>/watermark.json           the last day a clean scheduled run covered
    state/<spider>/backfill/<range>.json    the finished windows of a backfill, for resuming

Keys are built only from the source name and the record's id, never from titles, so they are
stable across runs and safe for any input. A run id is the run's UTC start time plus a random
suffix (``2026-12-01T10-46-29+00-00-3f9a0c``): two runs started in the same second, on one machine
or two, still write distinct feeds, summaries and index segments, and ids sort by start time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import weakref
from datetime import UTC, datetime
from typing import Any

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


def new_run_id(started: datetime | None = None) -> str:
    """``<UTC time>-<random>``, e.g. ``2026-12-01T10-46-29+00-00-3f9a0c``: the time as Scrapy
    writes ``%(time)s`` (sortable), the suffix so that runs started in the same second differ."""
    moment = (started or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return f"{moment.isoformat().replace(':', '-')}-{secrets.token_hex(3)}"


_RUN_IDS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def crawler_run_id(crawler: Any) -> str:
    """The run id of a crawl, made the first time it is asked for and the same for its feed,
    summary and index segments (each crawler of a ``crawlall`` process has its own)."""
    if crawler not in _RUN_IDS:
        _RUN_IDS[crawler] = new_run_id()
    return _RUN_IDS[crawler]


def run_feed_key(source: str, run_id: str) -> str:
    """Key of a run's feed. Placeholders such as ``%(name)s`` pass through for Scrapy's FEEDS."""
    return f"runs/{source}/{run_id}.jsonl"


def run_summary_key(spider: str, run_id: str) -> str:
    return f"runs/{safe_segment(spider)}/{run_id}.summary.json"


def index_key(source: str) -> str:
    """The index as one file, as runs wrote it before segments: read first, never written."""
    return f"state/index/{safe_segment(source)}.jsonl"


def index_segments_prefix(source: str) -> str:
    return f"state/index/{safe_segment(source)}/"


def index_segment_key(source: str, run_id: str, n: int) -> str:
    """Key of the ``n``-th index segment a run wrote for ``source``; names sort by run start,
    then by ``n``, which is the order segments are merged in."""
    return f"{index_segments_prefix(source)}{run_id}-{n:06d}.jsonl"


def merged_segment_key(last: str) -> str:
    """Key of the segment a compaction writes, given the last segment it merged: it sorts right
    after that one (``_`` after ``.``) and before every segment named later, so that the merge
    order stays as it was: ``<run id>-000007_c3f9a0c.jsonl``."""
    return f"{last.removesuffix('.jsonl')}_c{secrets.token_hex(3)}.jsonl"


def watermark_key(spider: str) -> str:
    return f"state/{safe_segment(spider)}/watermark.json"


def backfill_key(spider: str, window: str) -> str:
    """Key of a backfill's finished windows; ``window`` names its range (and stock filter)."""
    return f"state/{safe_segment(spider)}/backfill/{safe_segment(window)}.json"
