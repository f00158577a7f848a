"""``scrapy orgs [NAME ...]``: the canonical name and type of institution names.

Names come from the arguments or, without any, one per line on stdin; each gives one JSON line
``{"name", "canonical", "org_type"}`` on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import ClassVar

from scrapy.commands import ScrapyCommand

from pipelines.institutions import identify


class Command(ScrapyCommand):
    """Name institutions as the records' participants are named."""

    requires_project = False
    default_settings: ClassVar[dict[str, object]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[NAME ...]   (or one name per line on stdin)"

    def short_desc(self) -> str:
        return "Give institution names their canonical name and type (JSON Lines)"

    def run(self, args: list[str], opts) -> None:
        names = args or (line.strip() for line in sys.stdin)
        for name in names:
            if not name:
                continue
            org = identify(name)
            line = {"name": name, "canonical": org.canonical, "org_type": org.org_type}
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
