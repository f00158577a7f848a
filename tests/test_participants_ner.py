"""Participant splitting measured on the labelled cells of tests/fixtures/ner/ (floors)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.paths import NER, fixture_file

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from participants_ner import measure  # noqa: E402

# Measured 2026-12: institution P 0.975 R 0.990, person P 0.998 R 0.981 (bench/participants_ner.py).
FLOORS = {"ORG": (0.96, 0.97), "PER": (0.97, 0.96)}


def test_ner_floors() -> None:
    scores = measure(fixture_file(NER))
    for kind, (precision, recall) in FLOORS.items():
        assert scores[kind]["gold"] > 900
        assert scores[kind]["precision"] >= precision, (kind, scores[kind])
        assert scores[kind]["recall"] >= recall, (kind, scores[kind])


def test_split_shapes() -> None:
    from pipelines.parser.participants import split_participants, split_participants_text

    assert split_participants_text(
        "APS Asset 王兴林；Arohi Asset Vivien Cao； 艾美谷\n投资 黄诗杰"
    ) == [
        {"institution": "APS Asset", "people": ["王兴林"]},
        {"institution": "Arohi Asset", "people": ["Vivien Cao"]},
        {"institution": "艾美谷投资", "people": ["黄诗杰"]},
    ]
    assert split_participants_text("中欧基金：周应波、蓝小康") == [
        {"institution": "中欧基金", "people": ["周应波", "蓝小康"]}
    ]
    assert split_participants_text("投资者网上提问") == []
    assert split_participants(
        [["中欧基金", "周应波、蓝"], ["", "小康"], ["行健资本", "容嘉亮"]]
    ) == [
        {"institution": "中欧基金", "people": ["周应波", "蓝小康"]},
        {"institution": "行健资本", "people": ["容嘉亮"]},
    ]
    assert split_participants_text("个人：陈柏文；丁一文。") == [
        {"institution": None, "people": ["陈柏文", "丁一文"]}
    ]
