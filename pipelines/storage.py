"""The archive store: Scrapy's own file stores (local folder, S3), plus reading and checking.

FilesPipeline uploads originals through these classes, and the record and state writers use the
same ones, so there is one storage code path whatever the backend. Every operation goes through the
store's ``outage`` policy (pipelines/outage.py): while the store is away it is retried, and the
crawl pauses, instead of failing.

A local archive's files are 0644 and its folders 0755 whatever the umask, written atomically.
"""

from __future__ import annotations

import os
import tempfile
import time
import weakref
from collections.abc import Callable
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from scrapy.pipelines.files import FSFilesStore, S3FilesStore
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred

from pipelines.outage import ArchiveError, StoreOutage, outage_reason

T = TypeVar("T")
FILE_MODE = 0o644
FOLDER_MODE = 0o755
# botocore retries nothing itself: the outage policy is the one place that retries (and tells).
S3_CLIENT_CONFIG = {"retries": {"total_max_attempts": 1}, "connect_timeout": 10, "read_timeout": 60}


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


class _Retrying:
    """The outage policy of a store: ``attach`` gives it the archive's shared one."""

    outage: StoreOutage

    def _location(self) -> str:
        raise NotImplementedError

    def attach(self, settings: BaseSettings | None = None, crawler: Any = None) -> None:
        """Use the archive's shared outage policy (configured from ``settings``) and pause
        ``crawler`` during outages."""
        self.outage = StoreOutage.shared(self._location(), settings)
        if crawler is not None:
            self.outage.watch(crawler)

    def _retry(self, operation: Callable[[], T]) -> T:
        outage = self.__dict__.get("outage")
        if outage is None:
            outage = self.outage = StoreOutage.shared(self._location())
        return outage.run(operation)

    def _in_thread(self, operation: Callable[[], T]) -> Deferred[T]:
        """``operation`` under the outage policy, in a thread (so that waiting for the store never
        blocks the reactor), as the Deferred FilesPipeline expects."""
        return deferred_from_coro(run_in_thread(self._retry, operation))

    def _upload(
        self, path: str, data: bytes, meta: dict[str, Any] | None, headers: dict[str, str] | None
    ) -> Callable[[], Any]:
        """The call that stores a FilesPipeline upload of ``data`` at ``path``."""
        raise NotImplementedError

    def persist_file(
        self,
        path: str,
        buf: BytesIO,
        info: Any,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Deferred[Any]:
        """FilesPipeline's upload, in a thread, under the outage policy."""
        return self._in_thread(self._upload(path, buf.getvalue(), meta, headers))


def make_folders(folder: Path) -> None:
    """Create ``folder`` and missing parents as FOLDER_MODE (not what the umask leaves)."""
    if folder.is_dir():
        return
    make_folders(folder.parent)
    try:
        folder.mkdir()
    except FileExistsError:
        if not folder.is_dir():
            raise
        return
    os.chmod(folder, FOLDER_MODE)


class LocalArchiveStore(_Retrying, FSFilesStore):
    """A local folder archive."""

    def _location(self) -> str:
        return str(self.basedir_path.resolve())

    def _mkdir(self, dirname: Path, domain: Any = None) -> None:
        make_folders(Path(dirname))

    def check(self) -> None:
        try:
            make_folders(self.basedir_path)
            with tempfile.NamedTemporaryFile(dir=self.basedir_path):
                pass
        except OSError as exc:
            raise ArchiveError(f"archive folder {self.basedir} is not writable: {exc}") from exc

    @property
    def basedir_path(self) -> Path:
        return Path(self.basedir)

    def read(self, key: str) -> bytes | None:
        return self._retry(partial(self._read, key))

    def _read(self, key: str) -> bytes | None:
        try:
            return (self.basedir_path / key).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes, content_type: str) -> None:
        """Write atomically, so a reader never sees half a record."""
        self._retry(partial(self._write, self.basedir_path / key, data))

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        make_folders(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), FILE_MODE)  # mkstemp makes it 0600
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _upload(
        self, path: str, data: bytes, meta: dict[str, Any] | None, headers: dict[str, str] | None
    ) -> Callable[[], None]:
        """The same atomic write as ``write``."""
        return partial(self._write, self._get_filesystem_path(path), data)

    def stat_file(self, path: str, info: Any) -> Any:
        return self._in_thread(partial(FSFilesStore.stat_file, self, path, info))

    def delete(self, key: str) -> None:
        """Delete ``key``; a missing key is no error."""
        self._retry(partial((self.basedir_path / key).unlink, missing_ok=True))

    def keys(self, prefix: str) -> list[str]:
        return self._retry(partial(self._keys, prefix))

    def _keys(self, prefix: str) -> list[str]:
        root = self.basedir_path / prefix
        if not root.exists():
            return []
        base = self.basedir_path
        return sorted(
            str(p.relative_to(base))
            for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )


class S3ArchiveStore(_Retrying, S3FilesStore):
    """An S3-compatible archive; credentials and endpoint come from the AWS_* settings."""

    def __init__(self, uri: str):
        super().__init__(uri)
        import botocore.session  # optional, as for Scrapy's own S3 store
        from botocore.config import Config

        # Scrapy's client again, with botocore's own retries off and bounded connect timeouts.
        pool = {"max_pool_connections": self.AWS_MAX_POOL_CONNECTIONS}
        config = Config(**S3_CLIENT_CONFIG, **(pool if self.AWS_MAX_POOL_CONNECTIONS else {}))
        self.s3_client = botocore.session.get_session().create_client(
            "s3",
            aws_access_key_id=self.AWS_ACCESS_KEY_ID,
            aws_secret_access_key=self.AWS_SECRET_ACCESS_KEY,
            aws_session_token=self.AWS_SESSION_TOKEN,
            endpoint_url=self.AWS_ENDPOINT_URL,
            region_name=self.AWS_REGION_NAME,
            use_ssl=self.AWS_USE_SSL,
            verify=self.AWS_VERIFY,
            config=config,
        )

    def _location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix} at {self.AWS_ENDPOINT_URL or 'AWS'}"

    def check(self) -> None:
        """Whether the bucket can be used, before the crawl starts: a blip of the store is tried
        again twice (1 s, 2 s later); one still down fails the start (exit status 2)."""
        for pause in (1.0, 2.0, None):
            try:
                self.s3_client.head_bucket(Bucket=self.bucket)
                return
            except Exception as exc:  # botocore raises ClientError, EndpointConnectionError, ...
                if pause is not None and outage_reason(exc) is not None:
                    time.sleep(pause)
                    continue
                raise ArchiveError(
                    f"cannot use bucket {self.bucket!r} at {self.AWS_ENDPOINT_URL or 'AWS'}: {exc}"
                ) from exc

    def read(self, key: str) -> bytes | None:
        return self._retry(partial(self._read, key))

    def _read(self, key: str) -> bytes | None:
        try:
            reply = self.s3_client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.s3_client.exceptions.NoSuchKey:
            return None
        return reply["Body"].read()  # inside the retried call: the body can fail half-way

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self._retry(
            partial(
                self._put,
                Bucket=self.bucket,
                Key=self.prefix + key,
                data=data,
                ContentType=content_type,
            )
        )

    def _put(self, data: bytes, **kwargs: Any) -> Any:
        return self.s3_client.put_object(Body=BytesIO(data), **kwargs)  # a fresh stream each try

    def _upload(
        self, path: str, data: bytes, meta: dict[str, Any] | None, headers: dict[str, str] | None
    ) -> Callable[[], Any]:
        """The same request as Scrapy's S3 store makes."""
        extra = self._headers_to_botocore_kwargs(self.HEADERS)
        if headers:
            extra.update(self._headers_to_botocore_kwargs(headers))
        return partial(
            self._put,
            data=data,
            Bucket=self.bucket,
            Key=f"{self.prefix}{path}",
            Metadata={k: str(v) for k, v in meta.items()} if meta else {},
            ACL=self.POLICY,
            **extra,
        )

    def stat_file(self, path: str, info: Any) -> Deferred[Any]:
        head = partial(self.s3_client.head_object, Bucket=self.bucket, Key=f"{self.prefix}{path}")
        return self._in_thread(head).addCallback(self._onsuccess)

    def delete(self, key: str) -> None:
        """Delete ``key``; a missing key is no error (S3 answers a delete of one with success)."""
        self._retry(
            partial(self.s3_client.delete_object, Bucket=self.bucket, Key=self.prefix + key)
        )

    def keys(self, prefix: str) -> list[str]:
        return self._retry(partial(self._keys, prefix))

    def _keys(self, prefix: str) -> list[str]:
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
    extensions (one S3 client and one bucket check per crawl, not one per component). The crawl's
    downloads pause while the store is unreachable."""
    if crawler not in _CRAWLER_ARCHIVES:
        store = open_archive(crawler.settings)
        store.attach(crawler.settings, crawler)
        _CRAWLER_ARCHIVES[crawler] = store
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
    store.attach(settings)
    return store
