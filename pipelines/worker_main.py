"""A worker process of :mod:`pipelines.workers`: ``python -m pipelines.worker_main PARENT_PID MB``.

It bounds itself before doing anything else: its address space to ``MB`` megabytes (0: no limit;
a Python allocation past it raises MemoryError, a C library's fails) and, on Linux, its life to
its parent's (``PR_SET_PDEATHSIG``: the kernel sends SIGKILL when the parent thread that started
it ends, even by ``kill -9``; a thread polling ``getppid()`` is the fallback). Then it reads
length-prefixed pickle frames on stdin and answers each on stdout:

- first ``{"sys_path": [...], "preload": [...], "main_path": ...}``, answered by
  ``("ready", pid)``;
- then requests, each the pickled ``(fn, args, kwargs)``, answered by ``("ok", result)``,
  ``("memory", text)`` (MemoryError) or ``("error", text, pickled exception or None)``.

End of input is the order to exit. What the parse code prints goes to stderr, and children
(LibreOffice) see /dev/null on stdin, so nothing can break the frames.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import resource
import signal
import struct
import sys
import threading
import time
import traceback
import types
from typing import Any

HEADER = struct.Struct(">Q")
PR_SET_PDEATHSIG = 1
PARENT_POLL_SECONDS = 0.5


def read_exact(fd: int, n: int) -> bytearray | None:
    """``n`` bytes from ``fd`` (read in place: a large document is not copied); None at end of
    input."""
    buffer = bytearray(n)
    view = memoryview(buffer)
    got = 0
    while got < n:
        count = os.readv(fd, [view[got:]])
        if not count:
            return None
        got += count
    view.release()
    return buffer


def read_frame(fd: int) -> bytearray | None:
    header = read_exact(fd, HEADER.size)
    if header is None:
        return None
    return read_exact(fd, HEADER.unpack(header)[0])


def write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_frame(fd: int, data: bytes) -> None:
    write_all(fd, HEADER.pack(len(data)))
    write_all(fd, data)


def limit_memory(megabytes: int) -> None:
    """Cap the address space (the soft limit; a lower hard limit is kept)."""
    if megabytes <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def die_with_parent(parent: int) -> None:
    """SIGKILL when the parent goes (Linux), and a thread that exits when it has gone."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the thread below still catches it, within PARENT_POLL_SECONDS
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.stack_size(256 * 1024)  # its stack counts against the address-space limit
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    threading.stack_size(0)


def load_main(path: str) -> None:
    """Import the parent's main script as ``__mp_main__`` so that functions it defines
    (pickled as ``__main__.name``) can be called here (as multiprocessing's spawn does)."""
    import runpy

    module = types.ModuleType("__mp_main__")
    module.__dict__.update(runpy.run_path(path, run_name="__mp_main__"))
    sys.modules["__main__"] = sys.modules["__mp_main__"] = module


def _protocol_fds() -> tuple[int, int]:
    """Private copies of stdin/stdout for the frames; fd 0 becomes /dev/null, fd 1 stderr."""
    fin, fout = os.dup(0), os.dup(1)  # not inherited by children
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return fin, fout


def answer(request: bytearray, main_path: str | None, main_loaded: list[bool]) -> bytes:
    """Run one request; the pickled reply. ``request`` is emptied once read."""
    try:
        try:
            fn, args, kwargs = pickle.loads(request)
        except (AttributeError, ModuleNotFoundError):
            # a function of the parent's main script: import that once, then try again
            if not main_path or main_loaded[0]:
                raise
            main_loaded[0] = True
            load_main(main_path)
            fn, args, kwargs = pickle.loads(request)
        del request[:]  # the arguments hold their own copy
        result = fn(*args, **kwargs)
        return pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        pass  # answered below, once the frames holding the memory are gone
    except BaseException as exc:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            pickled: bytes | None = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.loads(pickled)
        except Exception:
            pickled = None
        return pickle.dumps(("error", text[:2000], pickled), protocol=pickle.HIGHEST_PROTOCOL)
    return pickle.dumps(("memory", "MemoryError"), protocol=pickle.HIGHEST_PROTOCOL)


def main(argv: list[str]) -> int:
    parent, megabytes = int(argv[0]), int(argv[1])
    die_with_parent(parent)
    limit_memory(megabytes)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a worker stops
    fin, fout = _protocol_fds()
    init_frame = read_frame(fin)
    if init_frame is None:
        return 0
    init: dict[str, Any] = pickle.loads(init_frame)
    sys.path[:] = init.get("sys_path") or sys.path
    for name in init.get("preload", ()):
        __import__(name)
    write_frame(fout, pickle.dumps(("ready", os.getpid())))
    main_path, main_loaded = init.get("main_path"), [False]
    while (request := read_frame(fin)) is not None:
        reply = answer(request, main_path, main_loaded)
        del request
        write_frame(fout, reply)
        del reply
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
