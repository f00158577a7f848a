"""Unit tests for the field helpers: checkboxes, dates, reception, Q&A, header, labels."""

from __future__ import annotations

import pytest

from pipelines.parser.checkboxes import parse_activity
from pipelines.parser.dates import parse_single_date, parse_time_cell
from pipelines.parser.header import parse_header
from pipelines.parser.qa import parse_qa
from pipelines.parser.reception import parse_reception
from pipelines.parser.rows import classify


@pytest.mark.parametrize(
    ("text", "types", "other"),
    [
        (
            "√特定对象调研 □分析师会议 □现场参观\n□媒体采访 □业绩说明会 □其他 （ ）",
            ["特定对象调研"],
            None,
        ),
        ("□特定对象调研 ☑ 其他 （电话会议）", ["其他"], "电话会议"),
        ("\uf0a8特定对象调研 \uf0fe业绩说明会 \uf0a8其他", ["业绩说明会"], None),
        ("□特定对象调研  分析师会议 □媒体采访  路演活动 □其他", ["分析师会议", "路演活动"], None),
        ("■媒体采访 ☒路演活动 ✓现场参观 ☐其他", ["媒体采访", "路演活动", "现场参观"], None),
        ("□分析师会议 √其他  策略会", ["其他"], "策略会"),
        ("□业\n绩说明会 √新闻发布会", ["新闻发布会"], None),
    ],
)
def test_checkboxes(text: str, types: list[str], other: str | None) -> None:
    got, got_other, _ = parse_activity(text)
    assert got == types and got_other == other


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("2020年11月23日-2020年12月7日", None, ("2020-11-23", "2020-12-07", None, None)),
        ("2020年12月22日—2021年1月11日", None, ("2020-12-22", "2021-01-11", None, None)),
        ("2021年4月19日至4月30日", None, ("2021-04-19", "2021-04-30", None, None)),
        ("2023 年4 月 15日", None, ("2023-04-15", "2023-04-15", None, None)),
        (
            "2024 年 5 月 9 日（周四）下午 15:00-17:00",
            None,
            ("2024-05-09", "2024-05-09", "15:00", "17:00"),
        ),
        (
            "2026 年 8 月 23 日（星期日）20:00—21:00",
            None,
            ("2026-08-23", "2026-08-23", "20:00", "21:00"),
        ),
        ("2026年8月28日、8月31日", None, ("2026-08-28", "2026-08-31", None, None)),
        ("8月28日、8月31日", 2026, ("2026-08-28", "2026-08-31", None, None)),
        ("8月28日", None, (None, None, None, None)),
        ("2026年7月份", None, ("2026-07-01", "2026-07-31", None, None)),
        ("2026年8月28日-31日", None, ("2026-08-28", "2026-08-31", None, None)),
        ("2020年12月28日-1月5日", None, ("2020-12-28", "2021-01-05", None, None)),
        ("下午3:00-5:00", None, (None, None, "15:00", "17:00")),
        ("2026.8.28 上午10：00", None, ("2026-08-28", "2026-08-28", "10:00", None)),
    ],
)
def test_time_cell(text: str, year: int | None, expected: tuple) -> None:
    got = parse_time_cell(text, year)
    assert (got["start_date"], got["end_date"], got["start_time"], got["end_time"]) == expected


def test_single_date() -> None:
    assert parse_single_date("2020年07月25日") == "2020-07-25"
    assert parse_single_date("无") is None


def test_reception_shapes() -> None:
    assert parse_reception("董事长：张戈\n董秘：薛汉锋") == [
        {"name": "张戈", "title": "董事长"},
        {"name": "薛汉锋", "title": "董秘"},
    ]
    assert parse_reception("投资者关系经理 杨祎、钱翀仁") == [
        {"name": "杨祎", "title": "投资者关系经理"},
        {"name": "钱翀仁", "title": "投资者关系经理"},
    ]
    assert parse_reception("董事会秘书傅晓女士等") == [{"name": "傅晓", "title": "董事会秘书"}]
    assert parse_reception("1、董事长、总经理方汉 2、财务总监张为") == [
        {"name": "方汉", "title": "董事长、总经理"},
        {"name": "张为", "title": "财务总监"},
    ]
    assert parse_reception("") == []


def _qa(text: str) -> list[dict[str, str]]:
    return parse_qa(text).pairs


def test_qa_styles() -> None:
    assert _qa("开场介绍。\nQ1：问题\n一？\nA1：回答\n二。") == [
        {"question": "问题一？", "answer": "回答二。"}
    ]
    assert _qa("问：甲？\n答：乙。\n问题2：丙？\n答复：丁。") == [
        {"question": "甲？", "answer": "乙。"},
        {"question": "丙？", "answer": "丁。"},
    ]
    assert _qa("公司介绍。\n1、请问甲？\n回答甲。\n2、请问乙？\n回答乙。") == [
        {"question": "请问甲？", "answer": "回答甲。"},
        {"question": "请问乙？", "answer": "回答乙。"},
    ]
    assert _qa("一、经营情况\n收入增长。") == []
    # prepared remarks with a numbered list are not questions when Q markers are used
    assert _qa("1．收入增长\nQ：甲？\nA：乙。") == [{"question": "甲？", "answer": "乙。"}]


def test_header_variants() -> None:
    assert parse_header(
        ["证券简称：澜起科技 证券代码：688008 编号：2026-009", "澜起科技股份有限公司"]
    ) == {
        "stock_code": "688008",
        "stock_name": "澜起科技",
        "record_no": "2026-009",
        "company_name": "澜起科技股份有限公司",
    }
    assert (
        parse_header(["福建福晶科技股份有限公司投资者关系活动记录表", "编号：2026003"])[
            "stock_code"
        ]
        is None
    )


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("投资者关系；\n活 动 主 要 内\n容； 介绍", "content"),
        ("参与单位名\n称及人员姓\n名", "participants"),
        ("参与单位名称", "participants"),
        ("出席人员", "reception"),
        ("上市公司接待人员姓名", "reception"),
        ("交流内容", "content"),
        ("方式", "mode"),
        ("附件清\n单（如\n有）", "attachments"),
        ("本次活动是否涉及应当披露重大信息", "material"),
        ("日期", "date"),
        ("注意事项", "extra"),
        ("风险提示", "extra"),
        ("时间", "time"),
    ],
)
def test_labels(label: str, key: str) -> None:
    assert classify(label) == key
