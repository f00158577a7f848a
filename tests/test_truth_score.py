"""The truth scoring (tests/truth_score.py) on small hand-made results: wrong values score < 1."""

from __future__ import annotations

import copy

from tests.truth_score import norm, overall, score, silent_loss

TRUTH = {
    "file": "000001_20240101.pdf",
    "stock_code": "000001",
    "stock_name": "平安银行",
    "company_name": "平安银行股份有限公司",
    "activity_types": ["特定对象调研", "其他"],
    "activity_other": "电话会议",
    "start_date": "2024-01-01",
    "end_date": "2024-01-02",
    "record_date": None,
    "location": "公司会议室",
    "reception": [{"name": "张三", "title": "董事会秘书"}, {"name": "李四", "title": None}],
    "institutions": ["中信证券", "易方达基金"],
    "people_count": 3,
    "qa": [
        {"q": "公司今年的毛利率", "a": "公司毛利率提升主要"},
        {"q": "海外产能布局？", "a": "公司在泰国的工厂"},
    ],
}


def _result() -> dict:
    """A parse result that agrees with TRUTH (printed a little differently)."""
    return {
        "stock_code": "000001",
        "stock_name": "平安银行",
        "company_name": "平安银行股份有限公司",
        "activity_types": ["其他", "特定对象调研"],
        "activity_other": "（电话会议）",
        "start_date": "2024-01-01",
        "end_date": "2024-01-02",
        "record_date": None,
        "location": "公司 会议室",
        "reception": [
            {"name": "张 三", "title": "副总经理、董事会秘书"},
            {"name": "李四", "title": None},
            {"name": None, "title": "证券部工作人员"},
        ],
        "participants": [
            {"institution": "中信证券", "people": ["王五", "赵六"]},
            {"institution": "易方达基金", "people": ["孙七"]},
            {"institution": None, "people": []},
        ],
        "qa": [
            {"question": "1公司今年的毛利率为何提升？", "answer": "公司毛利率提升主要是因为…"},
            {"question": "海外产能布局?", "answer": "公司在泰国的工厂已经投产。"},
        ],
        "parse": {"status": "ok", "warnings": []},
    }


def test_norm() -> None:
    assert norm(None) is None
    assert norm(" 大和证券（中国）\u200b：A-B ") == norm("大和证券(中国):AB") == "大和证券中国AB"
    assert norm("中信证券") != norm("中信建投证券")


def test_agreeing_result_scores_one() -> None:
    scores = score(_result(), TRUTH)
    assert scores["mismatches"] == []
    assert set(scores["fields"].values()) == {1.0}
    assert overall(scores) == 1.0
    assert scores["counts"]["qa"] == (2, 2, 2)
    assert not silent_loss(_result(), TRUTH)


def test_wrong_scalars_and_lists_score_below_one() -> None:
    result = _result()
    result["stock_name"] = "平安银"
    result["record_date"] = "2024-01-03"
    result["activity_types"] = ["特定对象调研"]
    result["reception"][0]["title"] = "证券事务代表"
    result["participants"][1]["institution"] = "易方达"
    result["participants"].append({"institution": "中信证券", "people": []})
    scores = score(result, TRUTH)
    fields = scores["fields"]
    assert fields["stock_name"] == fields["record_date"] == fields["activity_types"] == 0.0
    assert fields["stock_code"] == 1.0
    assert fields["reception"] == 1.0 and fields["reception_titles"] == 0.5
    assert scores["counts"]["institutions"] == (1, 2, 3)
    assert fields["institutions"] == 2 * 1 / (2 + 3)
    assert fields["people_count"] == 1.0
    assert overall(scores) < 1.0
    assert any(m.startswith("stock_name: expected '平安银行'") for m in scores["mismatches"])


def test_lost_and_extra_questions_and_wrong_answers() -> None:
    result = _result()
    result["qa"] = [
        {"question": "谢谢大家参加", "answer": "…"},
        {"question": "公司今年的毛利率？", "answer": "毛利率提升"},
    ]
    scores = score(result, TRUTH)
    assert scores["qa_recall"] == 0.5 and scores["qa_precision"] == 0.5
    assert scores["fields"]["qa"] == 0.5
    assert scores["fields"]["qa_answers"] == 0.0  # the one matched question has the wrong answer
    assert silent_loss(result, TRUTH)  # half the questions lost, yet status ok, no warnings
    result["parse"]["warnings"] = ["qa: numbering gap"]
    assert not silent_loss(result, TRUTH)


def test_empty_qa_and_people_count() -> None:
    truth = copy.deepcopy(TRUTH) | {"qa": [], "people_count": 0}
    result = _result() | {"qa": [], "people_count": 0}
    scores = score(result, truth)
    assert scores["qa_recall"] == scores["qa_precision"] == 1.0
    assert scores["fields"]["qa_answers"] == 1.0 and scores["fields"]["people_count"] == 1.0
    result["qa"] = [{"question": "一个问题", "answer": "一个回答"}]
    result.pop("people_count")  # falls back to the people of the participants: 3
    scores = score(result, truth)
    assert scores["qa_precision"] == 0.0 and scores["fields"]["qa"] == 0.0
    assert scores["fields"]["people_count"] == 0.0
