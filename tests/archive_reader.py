"""Read what a crawl left in the archive, independently of the project's own storage code."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


class S3Archive:
    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def keys(self, under: str = "") -> list[str]:
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + under
        ):
            found += [o["Key"][len(self.prefix) :] for o in page.get("Contents", [])]
        return sorted(found)

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()

    def head(self, key: str) -> dict[str, Any]:
        return self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)

    def record(self, source_id: str) -> dict[str, Any]:
        return json.loads(self.read(f"records/cninfo/{source_id}.json"))


class LocalArchive:
    def __init__(self, root: Path):
        self.root = root

    def keys(self, under: str = "") -> list[str]:
        base = self.root / under
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def record(self, source_id: str) -> dict[str, Any]:
        return json.loads(self.read(f"records/cninfo/{source_id}.json"))


def feed_lines(archive: S3Archive | LocalArchive) -> list[dict[str, Any]]:
    """Every item line of every run feed in the archive."""
    lines = []
    for key in (k for k in archive.keys("runs/") if k.endswith(".jsonl")):
        lines += [json.loads(line) for line in archive.read(key).decode().splitlines() if line]
    return lines


def index_entries(archive: S3Archive | LocalArchive, source: str) -> dict[str, dict[str, Any]]:
    """The merged archive index of ``source`` by source_id: the one-file index of older archives
    first, then the segments ``state/index/<source>/*.jsonl`` by name, a later line winning."""
    keys = [k for k in archive.keys("state/index/") if k == f"state/index/{source}.jsonl"]
    keys += sorted(k for k in archive.keys(f"state/index/{source}/") if k.endswith(".jsonl"))
    merged: dict[str, dict[str, Any]] = {}
    for key in keys:
        for line in archive.read(key).decode().splitlines():
            if line.strip():
                entry = json.loads(line)
                merged[entry["source_id"]] = entry
    return merged


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
