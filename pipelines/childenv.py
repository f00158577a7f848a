"""The environment child processes get: the parent's, without credentials.

Parse workers and LibreOffice read untrusted documents and need no secrets: they never talk to
S3 or anything else. ``clean_env()`` drops every variable whose name says it holds a secret
(``KEY``, ``SECRET``, ``TOKEN``, ``PASSWORD``, ``CREDENTIAL``… in any case), every ``AWS_*``
variable, and any variable whose value is a URL with a password in it
(``https://user:pass@host``, a proxy or database URL).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# A variable whose name contains one of these (case-insensitive) is dropped.
SECRET_WORDS = (
    "KEY",
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "COOKIE",
    "SESSION",
    "AUTH",
)
# Cloud SDK settings: parse workers need none, and some (AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE,
# AWS_CONTAINER_CREDENTIALS_FULL_URI) lead to credentials without naming them.
SECRET_PREFIXES = ("AWS_", "BOTO_", "GOOGLE_", "AZURE_")
_URL_WITH_PASSWORD = re.compile(r"://[^/@\s:]*:[^/@\s]*@")


def is_secret(name: str, value: str) -> bool:
    """Whether the variable ``name=value`` carries (or leads to) a credential."""
    upper = name.upper()
    return (
        any(word in upper for word in SECRET_WORDS)
        or upper.startswith(SECRET_PREFIXES)
        or bool(_URL_WITH_PASSWORD.search(value))
    )


def clean_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default ``os.environ``) without the variables that carry credentials."""
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items() if not is_secret(name, value)}
