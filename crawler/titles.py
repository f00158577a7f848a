"""The one rule that decides which titles are IR activity records, for every source.

A title is a record's when it names one (投资者关系活动记录表, 调研纪要, 说明会召开情况…) and is
none of the near misses that share those words: IR management rules (制度, 办法…), notices of an
event still to come (关于召开…说明会的公告, 邀请函), voluntary-disclosure notices, and a fund's
notice of the research visits it made. On a listing that is itself a category of records (cninfo's
调研 tab, a held p5w event) only the near-miss part applies.
"""

from __future__ import annotations

import re

SEARCH_KEYS = ("投资者关系", "调研", "说明会")
_BRACKETS = re.compile(r"^\s*\[[^\]]*\]")  # bse.cn's "[临时公告]" category prefix

_NAMES_A_RECORD = re.compile(
    r"投资者(?:关系)?活动(?:记录|信息|纪要|表)"
    r"|投资者关系管理信息"
    r"|调研(?:活动)?(?:信息|纪要|记录)"
    r"|接待.{0,12}调研.{0,8}(?:情况|记录|纪要)"
    r"|(?:说明会|路演|交流会|接待日|见面会|沟通会|业绩会).{0,16}(?:情况|记录|纪要|问答)"
)
_RULES = re.compile(r"制度|办法|细则|规则|章程|指引|规定")
_FUND = re.compile(r"基金(?:管理|公司|产品)|旗下(?:基金|产品)|资产管理计划")
_NOT_A_RECORD = re.compile(r"自愿性信息披露|邀请函")
# announces an event: 关于召开/举办/参加…的公告 or 通知, unless the title reports how it went
_ANNOUNCES = re.compile(r"关于(?:召开|举办|参加|开展|举行)|通知")
_REPORTS = re.compile(r"情况|记录|纪要|问答")


def is_ir_record_title(title: str, *, listed_as_record: bool = False) -> bool:
    """True for an IR activity record's title. ``listed_as_record``: the listing is a category of
    records, so only a near miss is refused."""
    title = _BRACKETS.sub("", title or "")
    if _RULES.search(title) or _FUND.search(title) or _NOT_A_RECORD.search(title):
        return False
    if _ANNOUNCES.search(title) and not _REPORTS.search(title):
        return False
    return listed_as_record or bool(_NAMES_A_RECORD.search(title))
