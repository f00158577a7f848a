"""Legacy Word .doc: convert to DOCX with LibreOffice headless, then read it as DOCX.

LibreOffice gets an environment without credentials (:func:`pipelines.childenv.clean_env`) and
runs in a session of its own under coreutils ``timeout -s KILL``: when the conversion overruns,
its whole process group (soffice, oosplash, soffice.bin) is killed. If the parse worker is killed
first (a time limit, the crawl's ``kill -9``), the kernel tells ``timeout`` (util-linux
``setpriv --pdeathsig``), which ends LibreOffice at once: SIGTERM, SIGKILL 5 s later.
It inherits the worker's address-space limit; it needs about 500 MB of it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from pipelines.childenv import clean_env

from .model import Layout
from .word import read_docx

TIMEOUT_SECONDS = 60
KILL_AFTER_SECONDS = 5  # after the parse worker died: SIGTERM to LibreOffice, then SIGKILL


class ConverterMissing(Exception):
    """LibreOffice (``soffice``) is not installed."""


def soffice() -> str | None:
    """Path of the LibreOffice binary, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_doc(data: bytes, timeout: float = TIMEOUT_SECONDS) -> Layout:
    """Convert DOC bytes to DOCX in a temporary folder and read that."""
    binary = soffice()
    if not binary:
        raise ConverterMissing("legacy .doc needs LibreOffice (soffice) to convert, not installed")
    with tempfile.TemporaryDirectory(prefix="irdoc-") as tmp:
        src = Path(tmp) / "record.doc"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        code = _run(
            [
                binary,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "docx",
                "--outdir",
                tmp,
                str(src),
            ],
            timeout,
        )
        out = Path(tmp) / "record.docx"
        if not out.exists():
            raise ValueError(f"LibreOffice could not convert the .doc file (exit status {code})")
        layout = read_docx(out.read_bytes())
    layout.format = "doc"
    return layout


def _run(command: list[str], timeout: float) -> int:
    """Run ``command`` with a clean environment, its process group killed after ``timeout``
    seconds (subprocess.TimeoutExpired); ``timeout -s KILL`` bounds it even if we are killed,
    and ends it when we are (``setpriv --pdeathsig``, where util-linux has it)."""
    guard = shutil.which("timeout")
    if guard:
        command = [guard, "-s", "KILL", "-k", f"{KILL_AFTER_SECONDS:g}", f"{timeout:g}", *command]
        if setpriv := shutil.which("setpriv"):
            command = [setpriv, "--pdeathsig", "TERM", *command]
    started = time.monotonic()
    with subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
        start_new_session=True,
    ) as proc:
        try:
            proc.communicate(timeout=timeout + (5 if guard else 0))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        if guard and proc.returncode and time.monotonic() - started >= timeout:
            raise subprocess.TimeoutExpired(command, timeout)  # ``timeout`` ended it
        return proc.returncode
