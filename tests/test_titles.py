"""The one title rule (crawler/titles.py), on real titles of the four sites: records, and the near
misses that share their words. Titles as the sites list them (bse.cn with its category prefix,
e互动 postings by their file names)."""

from __future__ import annotations

import pytest

from crawler.titles import is_ir_record_title

RECORDS = [
    # cninfo 调研 tab and full-text tab (SZSE)
    "2026年8月6日投资者关系活动记录表",
    "关于终止重大资产重组投资者说明会的投资者活动记录表",
    "300308中际旭创投资者关系管理信息20240617",
    "投资者关系活动记录表20240128",
    "2021年8月25日天孚通信投资者关系活动记录表",
    "2020年11月23日-2020年12月7日投资者关系活动记录表",
    "投资者关系活动记录表（2024年5月）",
    "2012年3月调研活动信息",
    # cninfo full-text tab (SSE, STAR)
    "贵州茅台：投资者关系活动记录表",
    "澜起科技投资者关系活动记录表（2024年5月9日）",
    "关于2023年度业绩说明会召开情况的公告",
    "关于参加2024年上海辖区上市公司集体接待日活动召开情况的公告",
    "关于接待机构投资者调研情况的公告",
    "2023年度暨2024年第一季度业绩说明会问答记录",
    "投资者调研纪要",
    # bse.cn
    "[临时公告]酉立智能:投资者关系活动记录表",
    "[临时公告]骏峰能源:2024年5月投资者关系活动记录表(更正后)",
    # e互动 postings (file names)
    "600519投资者关系活动记录表.pdf",
    "2024年5月9日投资者关系活动记录表.docx",
]

NEAR_MISSES = [
    # IR management rules
    "投资者关系管理制度",
    "投资者关系管理制度（2024年4月修订）",
    "投资者关系管理办法",
    "投资者关系管理工作细则",
    "投资者调研接待工作管理办法",
    # notices of an event still to come
    "关于召开2023年度业绩说明会的公告",
    "关于参加2024年上海辖区上市公司集体接待日活动的公告",
    "关于举办2024年半年度网上业绩说明会的通知",
    "[临时公告]酉立智能:关于召开投资者关系活动的公告",
    "2023年度业绩说明会邀请函",
    # voluntary disclosure notices that name an IR activity
    "[临时公告]酉立智能:关于投资者关系活动的自愿性信息披露公告",
    "关于接待机构调研的自愿性信息披露公告",
    # a fund's notice of the research visits it made
    "易方达基金管理有限公司关于旗下基金参与上市公司调研活动的公告",
    "关于旗下基金调研活动记录的公告",
    # other announcements on the same sites
    "[临时公告]骏峰能源:权益变动报告书",
    "[定期报告]酉立智能:2026年半年度报告",
    "[临时公告]壹玖壹玖:发行说明书修订说明",
    "关于持股5%以上股东权益变动达1%的提示公告",
    "2020年半年度报告",
]


@pytest.mark.parametrize("title", RECORDS)
def test_record_titles_are_records(title):
    assert is_ir_record_title(title)


@pytest.mark.parametrize("title", NEAR_MISSES)
def test_near_misses_are_not_records(title):
    assert not is_ir_record_title(title)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("盛航股份2023年度业绩说明会", True),  # a held p5w event is itself the record
        ("2024年8月7日", True),  # cninfo 调研 tab rows can be titled by their day alone
        ("投资者关系管理制度", False),
        ("关于召开2023年度业绩说明会的公告", False),
    ],
)
def test_on_a_listing_of_records_only_near_misses_are_refused(title, expected):
    assert is_ir_record_title(title, listed_as_record=True) is expected
