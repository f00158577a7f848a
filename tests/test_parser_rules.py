"""The shapes real records print, one rule at a time (the forms listed in the parser issue).

Each case is a small text in the shape of a real cell; the expected value is what a reader
takes from it. Whole records are checked against hand-read truth in test_parser_truth.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.parser import parse_document
from pipelines.parser.checkboxes import parse_activity
from pipelines.parser.participants import split_participants, split_participants_text
from pipelines.parser.qa import parse_qa
from pipelines.parser.reception import parse_reception
from tests.ir_docx import docx_bytes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "records"


def _questions(text: str) -> list[tuple[str, str]]:
    return [(p["question"], p["answer"]) for p in parse_qa(text).pairs]


@pytest.mark.parametrize(
    "text",
    [
        "Q1、甲？\nA1、乙。\nQ2、丙？\nA2、丁。",
        "Q1.甲？\nA1.乙。\nQ2.丙？\nA2.丁。",
        "Q 9. 甲？\n答：乙。\nQ 10. 丙？\n答：丁。",
        "Q1：甲？\nA1：乙。\nQ2：丙？\nA2：丁。",
        "问题1：甲？\n回复：乙。\n问题 2: 丙？\n回复：丁。",
        "1、问：甲？\n答：乙。\n2、问：丙？\n答：丁。",
        "（1）问：甲？\n答：乙。\n（2）问：丙？\n答：丁。",
        "问题 1\n问：甲？\n答：乙。\n问题 2\n问：丙？\n答：丁。",
        "1.甲？\n乙。\n2、丙？\n丁。",
    ],
)
def test_question_markers(text: str) -> None:
    assert _questions(text) == [("甲？", "乙。"), ("丙？", "丁。")]


def test_unmarked_answers_and_agenda_bullets() -> None:
    text = (
        "会议议程：\n1、公司介绍\n2、问答交流\n二、问答环节\n"
        "1.公司毛利率如何？\n尊敬的投资者您好，毛利率稳定。\n"
        "2、公司产能如何？\n尊敬的投资者您好，产能充足。"
    )
    assert _questions(text) == [
        ("公司毛利率如何？", "尊敬的投资者您好，毛利率稳定。"),
        ("公司产能如何？", "尊敬的投资者您好，产能充足。"),
    ]


def test_heading_questions() -> None:
    text = "一、关于毛利率？\n毛利率稳定。\n二、关于产能？\n产能充足。"
    assert _questions(text) == [("关于毛利率？", "毛利率稳定。"), ("关于产能？", "产能充足。")]


def test_numbers_wrapped_to_a_line_start_are_not_markers() -> None:
    text = "1、收入如何？\n答：收入增长到\n51.00%，利润\n2.59 亿元。\n2、产能如何？\n答：充足。"
    assert _questions(text) == [
        ("收入如何？", "收入增长到51.00%，利润2.59 亿元。"),
        ("产能如何？", "充足。"),
    ]


def test_questions_that_start_with_a_digit() -> None:
    lines = [f"{n}、问题{n}？\n答：好。" for n in range(1, 5)]
    text = "\n".join(
        [*lines, "5.24 年的目标是什么？\n答：增长。", "6、2024 年的计划？\n答：扩产。"]
    )
    got = _questions(text)
    assert [q for q, _ in got[4:]] == ["24 年的目标是什么？", "2024 年的计划？"]


def test_a_question_printed_twice_is_kept_twice() -> None:
    assert _questions("1、甲？\n答：好。\n2、甲？\n答：好。") == [
        ("甲？", "好。"),
        ("甲？", "好。"),
    ]


def test_lost_questions_are_reported() -> None:
    found = parse_qa("问题1：甲？\n答：乙。\n问题3：丙？\n答：丁。")
    assert any("skip" in w for w in found.warnings)
    found = parse_qa("公司介绍。\n甲是什么？\n乙是什么？\n丙。")
    assert found.pairs == [] and found.warnings == []  # parse_qa alone: the record checks this


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1、董事长：张三\n2、董事会秘书：李四", [("张三", "董事长"), ("李四", "董事会秘书")]),
        ("公司董事长张三先生、董事会秘书李四女士", [("张三", "董事长"), ("李四", "董事会秘书")]),
        ("证券部经理：王五", [("王五", "证券部经理")]),
        ("王五 证券部经理", [("王五", "证券部经理")]),
        ("证券事务代表赵六", [("赵六", "证券事务代表")]),
        ("董事会秘书 张 三", [("张三", "董事会秘书")]),
        ("董事、副总经理李江，财务总监王五", [("李江", "董事、副总经理"), ("王五", "财务总监")]),
        (
            "1、申菱环境董事长崔颖琦\n2、申菱环境董事、总经理潘展华",
            [("崔颖琦", "董事长"), ("潘展华", "董事、总经理")],
        ),
        (
            "董事会秘书苏永钦先\n生、财务总监陆振学先生",
            [("苏永钦", "董事会秘书"), ("陆振学", "财务总监")],
        ),
    ],
)
def test_reception(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(p["name"], p["title"]) for p in parse_reception(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("某某证券张三，某某基金李四", [("某某证券", ["张三"]), ("某某基金", ["李四"])]),
        (
            "Allianz Global Investors :John Smith, Mary Jones",
            [("Allianz Global Investors", ["John Smith", "Mary Jones"])],
        ),
        (
            "中信证券 张三 李四；华泰证券 王五",
            [("中信证券", ["张三", "李四"]), ("华泰证券", ["王五"])],
        ),
        ("国泰基金——曾飙、徐治彪", [("国泰基金", ["曾飙", "徐治彪"])]),
        ("（排名不分先后）中信证券、华泰证券等共 5 人", [("中信证券", []), ("华泰证券", [])]),
        ("中信证券、申万\n宏源、华泰证券", [("中信证券", []), ("申万宏源", []), ("华泰证券", [])]),
        ("公司在交流活动中严格遵守相关规定，没有出现未公开重大信息泄露等情况。", []),
        ("线上参与公司业绩说明会的投资者", []),
        ("个人投资者", []),
        ("机构投资者", []),
    ],
)
def test_participants(text: str, expected: list[tuple[str, list[str]]]) -> None:
    got = split_participants_text(text)
    assert [(p["institution"], p["people"]) for p in got] == expected


def test_participant_columns_with_a_centred_institution() -> None:
    lines = [["中欧基金", "周应波\n蓝小康"], ["行健资本", "容嘉亮"]]
    assert split_participants(lines) == [
        {"institution": "中欧基金", "people": ["周应波", "蓝小康"]},
        {"institution": "行健资本", "people": ["容嘉亮"]},
    ]


@pytest.mark.parametrize(
    "text",
    ["\uf052特定对象调研 □分析师会议", "X特定对象调研 □分析师会议", "☑特定对象调研 □分析师会议"],
)
def test_tick_glyphs(text: str) -> None:
    types, _, warnings = parse_activity(text)
    assert types == ["特定对象调研"] and warnings == []


def test_page_numbers_never_enter_the_content() -> None:
    page_number = re.compile(r"^\s*(第\s*)?\d{1,3}\s*(页)?(\s*/\s*(共\s*)?\d{1,3}\s*页?)?\s*$")
    for path in sorted(FIXTURES.glob("*.pdf")):
        result = parse_document(path.read_bytes())
        lines = (result["content_text"] or "").split("\n")
        assert not [line for line in lines if page_number.match(line)], path.name


def test_a_record_printed_as_labelled_paragraphs() -> None:
    data = docx_bytes(
        [
            "证券代码：300001  证券简称：示例科技",
            "示例科技股份有限公司投资者关系活动记录表",
            "投资者关系活动类别：☑特定对象调研 □分析师会议 □其他",
            "参与单位名称及人员姓名：中信证券 张三；华泰证券 李四",
            "时间：2024年5月9日 14:00-15:00",
            "地点：公司会议室",
            "上市公司接待人员姓名：董事会秘书 王五",
            "投资者关系活动主要内容介绍：",
            "1、公司毛利率如何？",
            "答：稳定。",
            "2、产能如何？",
            "答：充足。",
            "日期：2024年5月10日",
        ]
    )
    result = parse_document(data)
    assert result["parse"]["status"] == "ok"
    assert result["stock_code"] == "300001" and result["activity_types"] == ["特定对象调研"]
    assert [(p["institution"], p["people"]) for p in result["participants"]] == [
        ("中信证券", ["张三"]),
        ("华泰证券", ["李四"]),
    ]
    assert (result["start_date"], result["location"], result["record_date"]) == (
        "2024-05-09",
        "公司会议室",
        "2024-05-10",
    )
    assert result["reception"] == [{"name": "王五", "title": "董事会秘书"}]
    assert [q["question"] for q in result["qa"]] == ["公司毛利率如何？", "产能如何？"]


def test_questions_in_an_appendix_after_the_form() -> None:
    data = docx_bytes(
        ["证券代码：300001  证券简称：示例科技"],
        [
            ("投资者关系活动类别", "☑特定对象调研 □其他"),
            ("时间", "2024年5月9日"),
            ("参与单位名称及人员姓名", "中信证券 张三"),
            ("投资者关系活动主要内容介绍", "详见附件"),
        ],
        ["附件：调研纪要", "1、公司毛利率如何？", "答：稳定。", "2、产能如何？", "答：充足。"],
    )
    result = parse_document(data)
    assert [(q["question"], q["answer"]) for q in result["qa"]] == [
        ("公司毛利率如何？", "稳定。"),
        ("产能如何？", "充足。"),
    ]
    assert result["participants"][0]["institution"] == "中信证券"
