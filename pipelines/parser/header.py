"""The lines above the record table: 证券代码, 证券简称, 编号 and the company's name."""

from __future__ import annotations

import re

_CODE = re.compile(r"(?:证券|股票|公司)代码\s*[:：]?\s*(\d{6})")
_NAME = re.compile(
    r"(?:证券|股票|公司)简称\s*[:：]?\s*([^\s:：|｜]+?)(?=\s|证券代码|股票代码|公司代码|编号|$)"
)
_NO = re.compile(r"编号\s*[:：]\s*([^\s|｜]+)")
_COMPANY = re.compile(
    r"([\u4e00-\u9fffA-Za-z（）()·]{2,40}?(?:股份有限公司|有限责任公司|有限公司|集团公司|股份公司))"
)
_NOT_COMPANY = ("证券代码", "证券简称", "编号", "股票代码", "股票简称")


def parse_header(lines: list[str]) -> dict[str, str | None]:
    """stock_code, stock_name, record_no, company_name found in ``lines`` (None if absent)."""
    text = "\n".join(lines)
    out: dict[str, str | None] = {
        "stock_code": None,
        "stock_name": None,
        "record_no": None,
        "company_name": None,
    }
    if m := _CODE.search(text):
        out["stock_code"] = m.group(1)
    if m := _NAME.search(text):
        out["stock_name"] = m.group(1).strip()
    if m := _NO.search(text):
        out["record_no"] = m.group(1).strip().rstrip("号")
    for line in lines:
        compact = re.sub(r"\s+", "", line)
        if any(word in compact for word in _NOT_COMPANY):
            continue
        if m := _COMPANY.search(compact):
            out["company_name"] = m.group(1)
            break
    return out
