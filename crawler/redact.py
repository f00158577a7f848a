"""Keep secrets out of the logs.

Credentials are never Scrapy settings here (boto3 reads them from the environment), but a user
may still pass one with ``-s``: Scrapy then prints it in its "Overridden settings" line. The addon
below installs a filter that masks the value of every setting whose name contains KEY, SECRET,
TOKEN or PASSWORD in what Scrapy logs about its settings.
"""

from __future__ import annotations

import logging
import re

from scrapy.settings import Settings

SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL", re.I)
# 'NAME': 'value' (pprint of a dict) or NAME=value
_PAIR = re.compile(r"""(['"]?)(\w+)\1(\s*[:=]\s*)(['"])(.*?)\4""")
_LOGGERS = ("scrapy.crawler", "scrapy.utils.log", "scrapy.addons")
REDACTED = "***"


def redact(text: str) -> str:
    """``text`` with the value of every secret-named pair masked."""

    def mask(m: re.Match[str]) -> str:
        if not SECRET_NAME.search(m.group(2)):
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{m.group(4)}{REDACTED}{m.group(4)}"

    return _PAIR.sub(mask, text)


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if (masked := redact(message)) != message:
            record.msg, record.args = masked, None
        return True


class RedactSecretsAddon:
    """Installs SecretFilter on the loggers that print settings (once per process)."""

    def update_settings(self, settings: Settings) -> None:
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, SecretFilter) for f in logger.filters):
                logger.addFilter(SecretFilter())
