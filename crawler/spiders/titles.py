"""Which announcement titles are IR activity records (投资者关系活动记录表 and its variants).

Sources that list every announcement (cninfo full text, bse.cn) are searched with SEARCH_KEYS and
the rows kept by title; a site that ignores the search key is caught here too.
"""

from __future__ import annotations

import re

SEARCH_KEYS = ("投资者关系", "调研", "说明会")
IR_RULES = re.compile(r"制度|办法|细则|规则|章程")  # IR management rules, not records
_RECORD = re.compile(
    r"投资者关系活动|投资者活动记录|投资者关系管理信息|调研活动|接待调研|调研(?:纪要|记录)"
    r"|说明会.{0,12}(?:情况|记录|纪要)"
)
_NOTICE = re.compile(r"关于(?:召开|举办|参加|开展)|预告|通知")  # announces an event, records none


def is_ir_record_title(title: str) -> bool:
    """True for an IR activity record's title, false for rules, notices and everything else."""
    return bool(_RECORD.search(title)) and not IR_RULES.search(title) and not _NOTICE.search(title)
