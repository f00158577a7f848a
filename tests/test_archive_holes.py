"""Smaller holes of the archive: the permissions of a local archive, a download cut short, a
download too large, and an original archived without its record (a run killed in between)."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.archive_reader import LocalArchive, sha256
from tests.conftest import TINY_PDF, make_announcements, run_crawl
from tests.servers import cninfo as cninfo_imitation
from tests.servers.cninfo import CninfoSite
from tests.servers.site import LocalServer

WINDOW = ("cninfo", "-a", "start=2024-05-08", "-a", "end=2024-05-10")


class _FaultyHandler(cninfo_imitation._Handler):
    """The cninfo imitation, except for the file paths in ``faults``:

    - ``("short", n)``: the first ``n`` answers announce the whole body but send half of it and
      close the connection; later answers are whole
    - ``"chunked"``: the whole body without a Content-Length, in chunks, so its size is only
      found while reading it
    """

    faults: dict[str, Any]
    served: dict[str, int]

    def do_GET(self) -> None:
        path = urlparse(self.path).path
        fault = self.faults.get(path)
        body = self.site.files().get(path)
        if fault is None or body is None:
            super().do_GET()
            return
        self._log({})
        self.served[path] = self.served.get(path, 0) + 1
        if fault == "chunked":
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for start in range(0, len(body), 65536):
                chunk = body[start : start + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        short = fault[0] == "short" and self.served[path] <= fault[1]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if short else body)
        self.close_connection = True


class FaultyCninfo(LocalServer):
    def __init__(self, site: CninfoSite, faults: dict[str, Any]):
        self.site = site
        self.served: dict[str, int] = {}
        attrs = {"site": site, "faults": faults, "served": self.served}
        super().__init__(type("Handler", (_FaultyHandler,), attrs))


@pytest.fixture
def faulty() -> Iterator[tuple[CninfoSite, dict[str, Any], FaultyCninfo]]:
    site, faults = CninfoSite(), {}
    with FaultyCninfo(site, faults) as server:
        yield site, faults, server


def file_path(a) -> str:
    return "/" + a.adjunct_url


def test_a_local_archive_is_0644_files_in_0755_folders_whatever_the_umask(cninfo, tmp_path):
    cninfo.site.announcements = make_announcements(3)
    archive = tmp_path / "archive"
    previous = os.umask(0o077)  # the crawl process inherits it
    try:
        result = run_crawl(cninfo, *WINDOW, archive=str(archive))
    finally:
        os.umask(previous)

    assert result.returncode == 0, result.stderr[-3000:]
    modes = {
        str(p.relative_to(archive)): stat.S_IMODE(p.stat().st_mode) for p in archive.rglob("*")
    }
    files = {name for name in modes if (archive / name).is_file()}
    assert {f"originals/cninfo/{a.announcement_id}.pdf" for a in cninfo.site.announcements} <= files
    assert {f"records/cninfo/{a.announcement_id}.json" for a in cninfo.site.announcements} <= files
    assert any(name.startswith("digests/") for name in files)
    assert {name: mode for name, mode in modes.items() if name in files and mode != 0o644} == {}
    assert {name: mode for name, mode in modes.items() if name not in files and mode != 0o755} == {}
    runs = {name for name in files if name.startswith("runs/cninfo/")}
    assert any(name.endswith(".summary.json") for name in runs)
    assert any(name.endswith(".jsonl") for name in runs)  # the feed, 0644 like the rest
    assert not list(archive.rglob(".tmp-*"))


def test_a_download_cut_short_is_fetched_again_then_recorded_with_its_sizes(faulty, tmp_path):
    site, faults, server = faulty
    healed, broken = make_announcements(2)
    site.announcements = [healed, broken]
    faults[file_path(healed)] = ("short", 1)  # cut once: the second try gets it whole
    faults[file_path(broken)] = ("short", 99)  # cut every time

    result = run_crawl(server, *WINDOW, archive=str(tmp_path))

    assert result.returncode == 0, result.stderr[-3000:]
    archive = LocalArchive(tmp_path)
    assert archive.record(healed.announcement_id)["file"]["sha256"] == sha256(healed.body)
    assert server.served[file_path(healed)] == 2
    record = archive.record(broken.announcement_id)
    half, whole = len(broken.body) // 2, len(broken.body)
    assert record["error"] == f"truncated download: {half:,} of {whole:,} bytes"
    assert "file" not in record
    assert server.served[file_path(broken)] == 1 + 5  # RETRY_TIMES retries
    assert archive.keys("originals/") == [f"originals/cninfo/{healed.announcement_id}.pdf"]


def test_a_download_larger_than_download_maxsize_is_a_failed_download_saying_so(faulty, tmp_path):
    site, faults, server = faulty
    small, announced, streamed = make_announcements(3)
    big = TINY_PDF[:-6] + b"%" + b"x" * 300_000 + b"\n%%EOF\n"
    announced.body = big
    streamed.body = big + b"%another\n%%EOF\n"
    faults[file_path(streamed)] = "chunked"  # no Content-Length: found too large while reading
    site.announcements = [small, announced, streamed]
    limit = 256 * 1024

    result = run_crawl(
        server, *WINDOW, archive=str(tmp_path), settings={"DOWNLOAD_MAXSIZE": str(limit)}
    )

    assert result.returncode == 1  # a failed download is an error of the run
    archive = LocalArchive(tmp_path)
    assert "error" not in archive.record(small.announcement_id)
    for a in (announced, streamed):
        record = archive.record(a.announcement_id)
        assert record["error"].startswith(f"larger than DOWNLOAD_MAXSIZE ({limit:,} bytes)"), record
        assert "file" not in record
    assert archive.record(announced.announcement_id)["error"] == (
        f"larger than DOWNLOAD_MAXSIZE ({limit:,} bytes): {len(big):,} bytes announced"
    )
    assert archive.keys("originals/") == [f"originals/cninfo/{small.announcement_id}.pdf"]


def test_an_original_archived_without_its_record_is_completed_by_the_next_run(cninfo, tmp_path):
    """A run killed between the upload of an original and the write of its record (and before it
    saved the index) leaves the original alone: the next run writes the record."""
    first_listed = make_announcements(3)
    cninfo.site.announcements = first_listed
    first = run_crawl(cninfo, *WINDOW, archive=str(tmp_path))
    assert first.returncode == 0, first.stderr[-3000:]
    orphan = first_listed[1]
    (tmp_path / f"records/cninfo/{orphan.announcement_id}.json").unlink()
    shutil.rmtree(tmp_path / "state" / "index")  # the killed run saved no index either
    gets = cninfo.site.count("GET", "/finalpage/")

    second = run_crawl(cninfo, *WINDOW, archive=str(tmp_path))

    assert second.returncode == 0, second.stderr[-3000:]
    assert cninfo.site.count("GET", "/finalpage/") == gets + 1  # the orphan's original only
    record = LocalArchive(tmp_path).record(orphan.announcement_id)
    assert "error" not in record and "duplicate_of" not in record
    assert record["file"] == {
        "key": f"originals/cninfo/{orphan.announcement_id}.pdf",
        "sha256": sha256(orphan.body),
        "size": len(orphan.body),
        "content_type": "application/pdf",
    }
    assert record["parse"]["status"] in {"ok", "partial"}
