"""Institutions: one canonical name and a type for every visitor.

The floors are the issue's targets, measured on 958 names labelled by hand (tests/fixtures/orgs,
from records the rules were not written from); bench/orgs_eval.py prints the same figures.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from pipelines.institutions import TYPES, identify
from tests.conftest import scrapy_outside_project

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from orgs_eval import measure  # noqa: E402

LABELLED = REPO / "tests" / "fixtures" / "orgs" / "labelled.csv"


def test_labelled_names_meet_the_targets() -> None:
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 500
    figures = measure(rows)
    assert figures["type_accuracy"] >= 0.95, figures
    assert figures["merge_precision"] >= 0.98, figures
    assert figures["merge_recall"] >= 0.90, figures


@pytest.mark.parametrize(
    "names",
    [
        ["中金公司", "中国国际金融股份有限公司", "中金", "CICC"],
        ["华泰柏瑞", "华泰柏瑞基金", "华泰柏瑞基金管理有限公司"],
        ["易方达基金", "易方达基金管理有限公司", "易方达"],
        ["淡水泉投资", "淡水泉", "淡水泉(北京)投资管理有限公司"],
        ["摩根士丹利亞洲有限公司", "摩根士丹利亚洲有限公司"],
    ],
)
def test_written_forms_of_one_institution_share_a_canonical(names: list[str]) -> None:
    assert len({identify(name).canonical for name in names}) == 1, [identify(n) for n in names]


@pytest.mark.parametrize(
    "pair",
    [
        ("华泰证券", "华泰柏瑞基金"),
        ("东证资管", "东方证券"),
        ("宁银理财", "宁波银行"),
        ("中信证券", "中信建投证券"),
    ],
)
def test_different_institutions_stay_apart(pair: tuple[str, str]) -> None:
    assert identify(pair[0]).canonical != identify(pair[1]).canonical


@pytest.mark.parametrize(
    ("name", "org_type"),
    [
        ("中信证券", "证券公司"),
        ("东证资管", "证券公司"),
        ("中信自营", "证券公司"),
        ("瑞银证券", "证券公司"),
        ("易方达基金", "基金管理公司"),
        ("高毅资产", "私募基金"),
        ("人保资产", "保险公司"),
        ("太平养老保险", "保险公司"),
        ("宁银理财", "银行理财"),
        ("中国民生银行", "银行理财"),
        ("UBS Group AG", "海外机构"),
        ("Fullerton Fund Management", "海外机构"),
        ("个人投资者", "个人"),
    ],
)
def test_types(name: str, org_type: str) -> None:
    assert identify(name).org_type == org_type
    assert org_type in TYPES


def test_orgs_command_from_any_directory(tmp_path: Path) -> None:
    proc = scrapy_outside_project(tmp_path, "orgs", stdin="中金\nCICC\n\n华泰柏瑞\n")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["name"] for line in lines] == ["中金", "CICC", "华泰柏瑞"]
    assert lines[0]["canonical"] == lines[1]["canonical"] != lines[2]["canonical"]
    assert lines[2]["org_type"] == "基金管理公司"
