"""A process pool where every task is bounded and a dying worker fails only its own task.

``concurrent.futures.ProcessPoolExecutor`` has no time or memory limit, and one worker that dies
breaks the whole pool: every queued task fails with it. :class:`WorkerPool` has the same
``submit`` / ``shutdown`` / context-manager API, and:

- each worker is ``python -m pipelines.worker_main`` started with ``subprocess.Popen`` in a
  session of its own, with an environment without credentials (:func:`clean_env`), its address
  space capped (``RLIMIT_AS``) and ``PR_SET_PDEATHSIG`` set, so it dies with the crawl even after a
  ``kill -9`` (the worker bounds itself first thing: a ``preexec_fn`` is unsafe in a process that
  runs threads, as the crawl does);
- a task past ``time_limit`` seconds has its worker killed (with its process group: LibreOffice
  too) and fails with ``parse timed out after 120 s``;
- a task that runs out of memory fails with ``out of memory (limit 1024 MB)``; a worker that dies
  (a signal, a crash in a C library) fails its task with the reason, ``the parse worker died
  (signal 11, SIGSEGV)``; either way the worker is replaced and the queued tasks go on;
- a worker is retired after ``max_tasks`` tasks (a leak cannot grow without end).

Tasks are sent as length-prefixed pickle frames over the worker's stdin/stdout (see
:mod:`pipelines.worker_main`). Each worker has a dispatch thread in the parent, which takes
tasks from one queue and completes their futures (``asyncio.wrap_future`` works on them).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.childenv import clean_env
from pipelines.worker_main import HEADER, write_frame

logger = logging.getLogger(__name__)

WORKER_MODULE = "pipelines.worker_main"
STARTUP_SECONDS = 60.0  # a worker that is not ready by then is a failure (not the task's time)
STOP_SECONDS = 5.0  # a retired worker that has not exited by then is killed
# A worker killed by a signal while its peak RSS was this share of the memory limit ran out
# of memory in a C library (which crashes rather than raising MemoryError).
OOM_SHARE = 0.75


class WorkerError(Exception):
    """A task that did not run to its end in its worker; the message is the reason."""


class TaskTimeout(WorkerError):
    """The task ran past the time limit; its worker was killed."""


class OutOfMemory(WorkerError):
    """The task ran past the memory limit."""


class WorkerDied(WorkerError):
    """The worker process ended during the task (a signal, a crash), or could not start."""


class RemoteError(Exception):
    """An exception raised by the task that could not be sent back as itself."""


@dataclass
class WorkerExit:
    """A worker that ended: why, and how much memory it used at most."""

    pid: int
    returncode: int | None
    tasks: int
    # its own high-water RSS: read after each task, or wait4()'s when that is its own (see _reap)
    peak_rss_mb: float | None
    why: str  # "retired", "stopped", "timeout", "died", "memory"


def _how(returncode: int | None) -> str:
    """``signal 9, SIGKILL`` or ``exit status 1``."""
    if returncode is not None and returncode < 0:
        try:
            return f"signal {-returncode}, {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[1])


class _Died(Exception):
    pass


class _TimedOut(Exception):
    pass


class _Worker:
    """One worker process and the pipes to it; used by one dispatch thread only."""

    def __init__(self, pool: WorkerPool):
        self.pool = pool
        env = dict(pool.env)
        # the worker must import pipelines.worker_main wherever the parent was started from
        root = _package_root()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                WORKER_MODULE,
                str(os.getpid()),
                str(pool.memory_limit_mb or 0),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=0,
            close_fds=True,
            start_new_session=True,  # its own process group: killed with what it started
        )
        self.pid = self.proc.pid
        # wait4()'s ru_maxrss of a child is at least its parent's peak RSS when it was started
        # (exec inherits the high-water mark): only a larger figure is the worker's own
        self.parent_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.peak_mb: float | None = None  # VmHWM read after each task
        self.tasks = 0
        self.exit: WorkerExit | None = None

    # --- the pipes ------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            write_frame(self.proc.stdin.fileno(), data)
        except OSError as exc:  # BrokenPipeError: it died
            raise _Died() from exc

    def _read_exact(self, n: int, deadline: float | None) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        chunks: list[bytes] = []
        while n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _TimedOut()
                timeout_ms: int | None = max(1, int(left * 1000))
            else:
                timeout_ms = None
            if not poller.poll(timeout_ms):
                continue  # the deadline check above decides
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise _Died()
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _receive(self, deadline: float | None) -> Any:
        (size,) = HEADER.unpack(self._read_exact(HEADER.size, deadline))
        return pickle.loads(self._read_exact(size, deadline))

    # --- life -----------------------------------------------------------------------------

    def start(self) -> None:
        """Send the parent's import path and wait for the worker to say it is ready."""
        main = sys.modules.get("__main__")
        init = {
            "sys_path": list(sys.path),
            "preload": list(self.pool.preload),
            # functions of the parent's main script, pickled as __main__.name, are found there
            "main_path": getattr(main, "__file__", None),
        }
        self._send(pickle.dumps(init))
        reply = self._receive(time.monotonic() + STARTUP_SECONDS)
        if not (isinstance(reply, tuple) and reply[:1] == ("ready",)):
            raise _Died()

    def send(self, request: bytes) -> None:
        """Hand a request to the worker (_Died: it had died, the request did not get there)."""
        self._send(request)
        self.tasks += 1

    def receive(self, time_limit: float | None) -> Any:
        """The worker's reply to the request sent; _TimedOut or _Died otherwise."""
        deadline = time.monotonic() + time_limit if time_limit else None
        reply = self._receive(deadline)
        self._read_peak()
        return reply

    def _read_peak(self) -> None:
        try:
            with open(f"/proc/{self.pid}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmHWM:"):
                        peak = int(line.split()[1]) / 1024
                        self.peak_mb = max(self.peak_mb or 0.0, peak)
                        return
        except (OSError, ValueError, IndexError):
            return

    def _reap(self, why: str) -> WorkerExit:
        """Wait for the process and keep its exit status and peak memory."""
        if self.exit is not None:
            return self.exit
        peak = self.peak_mb
        try:
            _, status, usage = os.wait4(self.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            if usage.ru_maxrss / 1024 > self.parent_peak_mb + 1:  # kB on Linux
                peak = max(peak or 0.0, usage.ru_maxrss / 1024)
        except ChildProcessError:  # reaped already (by Popen)
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        self.exit = WorkerExit(self.pid, self.proc.returncode, self.tasks, peak, why)
        self.pool._exited(self.exit)
        return self.exit

    def kill(self, why: str) -> WorkerExit:
        if self.exit is not None:  # reaped: its pid may be another process's by now
            return self.exit
        # os.kill, not Popen.kill: that would reap the process, and _reap wants its rusage
        for kill, target in ((os.killpg, self.pid), (os.kill, self.pid)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(target, signal.SIGKILL)  # the group: the worker and what it started
        return self._reap(why)

    def stop(self, why: str) -> WorkerExit:
        """Close its input (it exits), then wait; kill it if it does not go."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self._wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            return self.kill(why)
        return self._reap(why)

    def alive(self) -> bool:
        """Whether the process still runs (without reaping it)."""
        if self.exit is not None:
            return False
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        if info is not None:
            return False
        try:  # a zombie whose other threads are still exiting is not waitable yet
            stat = Path(f"/proc/{self.pid}/stat").read_bytes()
        except OSError:
            return True  # no /proc: trust waitid
        return stat.rsplit(b")", 1)[-1].split()[:1] not in ([b"Z"], [b"X"])

    def _wait(self, seconds: float) -> None:
        """Wait for the exit without reaping (so that _reap gets its resource usage)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is not None:
                return
            time.sleep(0.01)
        raise subprocess.TimeoutExpired(self.proc.args, seconds)

    def died_reason(self, exit: WorkerExit, memory_limit_mb: int | None, what: str) -> WorkerError:
        how = _how(exit.returncode)
        if (
            memory_limit_mb
            and exit.peak_rss_mb is not None
            and exit.peak_rss_mb >= OOM_SHARE * memory_limit_mb
        ):
            return OutOfMemory(
                f"out of memory (limit {memory_limit_mb} MB): the {what} worker died "
                f"({how}) at {exit.peak_rss_mb:.0f} MB"
            )
        return WorkerDied(f"the {what} worker died ({how})")


@dataclass
class _Task:
    future: Future
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


_STOP = None


class WorkerPool:
    """``workers`` bounded worker processes (see the module's docstring).

    ``time_limit`` (seconds) and ``memory_limit_mb`` apply to each task (None or 0: none);
    ``max_tasks`` tasks retire a worker (None: never); ``preload`` modules are imported when a
    worker starts, so that the time limit counts the task, not the imports; ``env`` is the
    workers' environment (default :func:`clean_env`); ``name`` names the work in the reasons
    (``parse timed out after 60 s``).
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        time_limit: float | None = None,
        memory_limit_mb: int | None = None,
        max_tasks: int | None = None,
        preload: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        name: str = "task",
    ):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.time_limit = time_limit or None
        self.memory_limit_mb = memory_limit_mb or None
        self.max_tasks = max_tasks or None
        self.preload = tuple(preload)
        self.env = dict(clean_env() if env is None else env)
        self.name = name
        self.exits: list[WorkerExit] = []  # every worker that ended, in order
        self._queue: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._live: dict[int, _Worker | None] = {}
        self._shutdown = False
        self._threads = [
            threading.Thread(target=self._dispatch, args=(n,), name=f"{name}-worker-{n}")
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.daemon = True  # workers die with the process anyway (PR_SET_PDEATHSIG)
            thread.start()

    # --- the executor API -------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` in a worker (``fn`` and its arguments must pickle)."""
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future = Future()
            self._queue.put(_Task(future, fn, args, kwargs))
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking tasks; with ``cancel_futures`` cancel the queued ones; the running ones
        finish (within their time limit), then the workers exit."""
        with self._lock:
            if not self._shutdown:
                self._shutdown = True
                if cancel_futures:
                    while True:
                        try:
                            task = self._queue.get_nowait()
                        except queue.Empty:
                            break
                        if task is not None:
                            task.future.cancel()
                for _ in self._threads:
                    self._queue.put(_STOP)
        if wait:
            for thread in self._threads:
                thread.join()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown(wait=True)

    def pids(self) -> list[int]:
        """The process ids of the workers running now."""
        with self._lock:
            return [w.pid for w in self._live.values() if w is not None and w.exit is None]

    # --- dispatch ---------------------------------------------------------------------------

    def _exited(self, exit: WorkerExit) -> None:
        with self._lock:
            self.exits.append(exit)

    def _set_worker(self, slot: int, worker: _Worker | None) -> None:
        with self._lock:
            self._live[slot] = worker

    def _dispatch(self, slot: int) -> None:
        worker: _Worker | None = None
        try:
            while (task := self._queue.get()) is not _STOP:
                if not task.future.set_running_or_notify_cancel():
                    continue
                try:
                    worker = self._run(slot, worker, task)
                except Exception as exc:  # a bug here must not leave a future waiting forever
                    logger.exception("Worker pool dispatch failed")
                    if not task.future.done():
                        task.future.set_exception(WorkerError(f"worker pool error: {exc!r}"))
                    for started in {worker, self._live.get(slot)} - {None}:
                        started.kill("died")
                    worker = None
                    self._set_worker(slot, None)
                del task
        finally:
            if worker is not None:
                worker.stop("stopped")
            self._set_worker(slot, None)

    def _start(self, slot: int) -> tuple[_Worker | None, WorkerError | None]:
        """A new worker, ready; or why there is none."""
        worker = None
        try:
            worker = _Worker(self)
            self._set_worker(slot, worker)
            worker.start()
        except (_Died, _TimedOut, OSError) as exc:
            detail = _how(worker.kill("died").returncode) if worker is not None else str(exc)
            self._set_worker(slot, None)
            return None, WorkerDied(f"the {self.name} worker could not start ({detail})")
        return worker, None

    def _request(self, task: _Task) -> bytes:
        return pickle.dumps((task.fn, task.args, task.kwargs), pickle.HIGHEST_PROTOCOL)

    def _run(self, slot: int, worker: _Worker | None, task: _Task) -> _Worker | None:
        """Run one task, complete its future; the worker for the next task (None: a new one)."""
        future = task.future
        try:
            request = self._request(task)
        except Exception as exc:  # not picklable: the caller's error, not the worker's
            future.set_exception(exc)
            return worker
        if worker is not None and not worker.alive():  # died while idle: not this task's doing
            worker.kill("died")
            worker = None
        for attempt in (1, 2):
            if worker is None:
                worker, error = self._start(slot)
                if error is not None:
                    future.set_exception(error)
                    return None
            assert worker is not None
            try:
                worker.send(request)
                break
            except _Died:  # it died before the request got there: once more on a new one
                worker.kill("died")
                worker = None
                if attempt == 2:
                    future.set_exception(WorkerDied(f"the {self.name} worker died at once"))
                    self._set_worker(slot, None)
                    return None
        assert worker is not None
        try:
            reply = worker.receive(self.time_limit)
        except _TimedOut:
            worker.kill("timeout")
            future.set_exception(TaskTimeout(f"{self.name} timed out after {self.time_limit:g} s"))
            self._set_worker(slot, None)
            return None
        except (_Died, pickle.UnpicklingError, EOFError):
            exit = worker.kill("died")
            error = worker.died_reason(exit, self.memory_limit_mb, self.name)
            logger.info("%s (pid %d)", error, worker.pid)
            future.set_exception(error)
            self._set_worker(slot, None)
            return None
        kind = reply[0]
        if kind == "ok":
            future.set_result(reply[1])
        elif kind == "memory":
            limit = f"limit {self.memory_limit_mb} MB" if self.memory_limit_mb else "no limit"
            future.set_exception(OutOfMemory(f"out of memory ({limit})"))
            worker.stop("memory")  # C libraries may be left in a bad state
            self._set_worker(slot, None)
            return None
        else:
            _, text, pickled = reply
            exc: BaseException = RemoteError(text)
            if pickled is not None:
                with contextlib.suppress(Exception):
                    exc = pickle.loads(pickled)
            future.set_exception(exc)
        if self.max_tasks and worker.tasks >= self.max_tasks:
            worker.stop("retired")
            self._set_worker(slot, None)
            return None
        return worker
