"""Legacy Word .doc: convert to DOCX with LibreOffice headless, then read it as DOCX."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .model import Layout
from .word import read_docx

TIMEOUT_SECONDS = 60


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
        subprocess.run(
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
            check=False,
            capture_output=True,
            timeout=timeout,
        )
        out = Path(tmp) / "record.docx"
        if not out.exists():
            raise ValueError("LibreOffice could not convert the .doc file")
        layout = read_docx(out.read_bytes())
    layout.format = "doc"
    return layout
