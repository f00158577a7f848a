"""The archive store: Scrapy's own file stores (local folder, S3), plus reading and checking.

FilesPipeline uploads originals through these classes, and the record and state writers use the
same ones, so there is one storage code path whatever the backend.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from io import BytesIO
from pathlib import Path
from typing import Any

from scrapy.pipelines.files import FSFilesStore, S3FilesStore
from scrapy.settings import BaseSettings


class ArchiveError(RuntimeError):
    """The archive cannot be used (missing bucket, unreachable server, unwritable folder)."""


def normalize_archive_uri(uri: str | None) -> str:
    """``s3://bucket/prefix/`` (trailing slash) or an absolute local path ending in ``/``."""
    uri = (uri or "archive").strip()
    if uri.startswith("s3://"):
        bucket, _, prefix = uri[5:].partition("/")
        if not bucket:
            raise ArchiveError(f"ARCHIVE_URI {uri!r} names no bucket")
        prefix = "/".join(part for part in prefix.split("/") if part)
        return f"s3://{bucket}/{prefix}/" if prefix else f"s3://{bucket}/"
    if "://" in uri and not uri.startswith("file://"):
        raise ArchiveError(f"ARCHIVE_URI {uri!r}: use a local path or s3://bucket/prefix")
    path = uri.removeprefix("file://")
    return str(Path(path).expanduser().resolve()) + os.sep


class LocalArchiveStore(FSFilesStore):
    """A local folder archive."""

    def check(self) -> None:
        try:
            self.basedir_path.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.basedir_path):
                pass
        except OSError as exc:
            raise ArchiveError(f"archive folder {self.basedir} is not writable: {exc}") from exc

    @property
    def basedir_path(self) -> Path:
        return Path(self.basedir)

    def read(self, key: str) -> bytes | None:
        try:
            return (self.basedir_path / key).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes, content_type: str) -> None:
        """Write atomically, so a reader never sees half a record."""
        target = self.basedir_path / key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)

    def keys(self, prefix: str) -> list[str]:
        root = self.basedir_path / prefix
        if not root.exists():
            return []
        base = self.basedir_path
        return sorted(
            str(p.relative_to(base))
            for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )


class S3ArchiveStore(S3FilesStore):
    """An S3-compatible archive; credentials and endpoint come from the AWS_* settings."""

    def check(self) -> None:
        try:
            self.s3_client.head_bucket(Bucket=self.bucket)
        except Exception as exc:  # botocore raises ClientError, EndpointConnectionError, ...
            raise ArchiveError(
                f"cannot use bucket {self.bucket!r} at {self.AWS_ENDPOINT_URL or 'AWS'}: {exc}"
            ) from exc

    def read(self, key: str) -> bytes | None:
        try:
            reply = self.s3_client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.s3_client.exceptions.NoSuchKey:
            return None
        return reply["Body"].read()

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self.s3_client.put_object(
            Bucket=self.bucket, Key=self.prefix + key, Body=BytesIO(data), ContentType=content_type
        )

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        paginator = self.s3_client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            found.extend(obj["Key"][len(self.prefix) :] for obj in page.get("Contents", []))
        return sorted(found)


ArchiveStore = LocalArchiveStore | S3ArchiveStore

STORE_SCHEMES: dict[str, Any] = {
    "": LocalArchiveStore,
    "file": LocalArchiveStore,
    "s3": S3ArchiveStore,
}


def configure_s3(settings: BaseSettings) -> None:
    """Give the S3 store class its credentials, as FilesPipeline does for its own stores."""
    S3ArchiveStore.AWS_ACCESS_KEY_ID = settings.get("AWS_ACCESS_KEY_ID")
    S3ArchiveStore.AWS_SECRET_ACCESS_KEY = settings.get("AWS_SECRET_ACCESS_KEY")
    S3ArchiveStore.AWS_SESSION_TOKEN = settings.get("AWS_SESSION_TOKEN")
    S3ArchiveStore.AWS_ENDPOINT_URL = settings.get("AWS_ENDPOINT_URL")
    S3ArchiveStore.AWS_REGION_NAME = settings.get("AWS_REGION_NAME")
    S3ArchiveStore.AWS_USE_SSL = settings.get("AWS_USE_SSL")
    S3ArchiveStore.AWS_VERIFY = settings.get("AWS_VERIFY")
    S3ArchiveStore.POLICY = settings.get("FILES_STORE_S3_ACL")


_CRAWLER_ARCHIVES: weakref.WeakKeyDictionary[Any, ArchiveStore] = weakref.WeakKeyDictionary()


def crawler_archive(crawler: Any) -> ArchiveStore:
    """The crawl's archive store: opened and checked once, shared by its spider, pipelines and
    extensions (one S3 client and one bucket check per crawl, not one per component)."""
    if crawler not in _CRAWLER_ARCHIVES:
        _CRAWLER_ARCHIVES[crawler] = open_archive(crawler.settings)
    return _CRAWLER_ARCHIVES[crawler]


def open_archive(settings: BaseSettings) -> ArchiveStore:
    """The store for ``ARCHIVE_URI``, checked: raises ArchiveError when it cannot be used."""
    uri = normalize_archive_uri(settings.get("ARCHIVE_URI"))
    if uri.startswith("s3://"):
        configure_s3(settings)
        store: ArchiveStore = S3ArchiveStore(uri)
    else:
        store = LocalArchiveStore(uri)
    store.check()
    return store
