"""The archive's key layout, in one place.

    originals/<source>/<source_id>.<ext>    the original bytes; the extension found from them
    records/<source>/<source_id>.json       one JSON record per document: metadata, file, parse
    runs/<source>/<start time>.jsonl        the feed of every item a run produced

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


def record_key(source: str, source_id: str) -> str:
    return f"records/{safe_segment(source)}/{safe_segment(source_id)}.json"


def run_feed_key(source: str, started: str) -> str:
    """Key of a run's feed. Placeholders such as ``%(name)s`` pass through for Scrapy's FEEDS."""
    return f"runs/{source}/{started}.jsonl"
