"""Golden tests: every field of every real record and every template-variant test document.

Real records are read from ../shared/corpus/real/ (beside the checkout); the template variants
are built per session by tests/docgen/build_documents.py (the `documents` fixture). Expected
values in tests/golden/ were checked by hand against the documents (long texts pinned by
digest, see golden_format).

Known wrong in the real goldens (pinned so a fix shows up as a golden change, not a surprise):
institution and names printed with no space between them and no institution word to cut at
stay one institution with no people: 中国平安吴裕航 (2020-10-24), 寒武纪武俊霞 and
TBCapital FelixC (2020-07-25), 高盛亚洲吴雨鹤 (2021-10-23), 鑫潮建筑斯伟 (2024-08-17),
兰馨亚洲储凯俊、许宜哲 and 成都天奥电子任思 (2025-04-19); and "Morgan Stanley Yun Chen Tsai"
(2020-10-24) is cut as "Morgan Stanley Yun" + "Chen Tsai".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.parser import PARSER_VERSION, parse_document
from tests.golden_format import to_golden

TESTS = Path(__file__).resolve().parent
SHARED = TESTS.parents[1] / "shared"
REAL = SHARED / "corpus" / "real"
GOLDEN = TESTS / "golden"


def _require_shared() -> None:
    if not REAL.is_dir():
        pytest.fail(
            f"shared corpus missing: expected {REAL} (../shared/corpus/ beside the checkout)"
        )


def _golden_name(path: Path) -> str:
    return path.name.replace("海康威视：", "real_") + ".json"


REAL_NAMES = sorted(p.name for p in REAL.glob("*.pdf")) if REAL.is_dir() else []
# Template variants: every golden file that is not of a real record names a built document.
FILE_NAMES = sorted(
    p.name.removesuffix(".json") for p in GOLDEN.glob("*.json") if not p.name.startswith("real_")
)
DOCX_STEMS = sorted(name.removesuffix(".docx") for name in FILE_NAMES if name.endswith(".docx"))


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    """Each document parsed once for the whole module."""
    cache: dict[str, dict] = {}

    def get(path: Path) -> dict:
        if path.name not in cache:
            cache[path.name] = parse_document(path.read_bytes())
        return cache[path.name]

    return get  # type: ignore[return-value]


def test_real_corpus_present() -> None:
    _require_shared()
    assert len(REAL_NAMES) == 12


@pytest.mark.parametrize("name", REAL_NAMES or ["<missing>"])
def test_real_record(name: str, parsed) -> None:
    _require_shared()
    path = REAL / name
    result = parsed(path)
    expected = json.loads((GOLDEN / _golden_name(path)).read_text(encoding="utf-8"))
    assert result["parse"]["parser_version"] == PARSER_VERSION
    got = to_golden(result)
    for key in expected:
        assert got[key] == expected[key], f"{name}: field {key}"
    assert set(got) == set(expected)


@pytest.mark.parametrize("name", FILE_NAMES)
def test_template_variant(name: str, parsed, documents) -> None:
    path = documents / name
    expected = json.loads((GOLDEN / (name + ".json")).read_text(encoding="utf-8"))
    got = to_golden(parsed(path))
    for key in expected:
        assert got[key] == expected[key], f"{name}: field {key}"
    assert set(got) == set(expected)


def _same(text: str | None) -> str | None:
    return re.sub(r"\s+", "", text) if text is not None else None


# LibreOffice draws Word's Wingdings tick (U+F0FE) as the empty box U+F0A8 in its PDF, so the
# PDF of the kunlun variant has no ticked option left (the DOCX has it): a converter artefact.
_PDF_DIFFERS = {"kunlun_300418": {"activity_types"}}


@pytest.mark.parametrize("stem", DOCX_STEMS)
def test_docx_and_pdf_of_same_content_agree(stem: str, parsed, documents) -> None:
    docx = parsed(documents / f"{stem}.docx")
    pdf = parsed(documents / f"{stem}.pdf")
    assert docx["parse"]["format"] == "docx" and pdf["parse"]["format"] == "pdf"
    for key in docx:
        if key == "parse" or key in _PDF_DIFFERS.get(stem, ()):
            continue
        if key == "participants_text":  # a sub-table's raw text interleaves wrapped columns
            assert sorted(_same(docx[key]) or "") == sorted(_same(pdf[key]) or ""), key
        elif key in ("content_text", "time_text", "location", "attachments_text", "material_info"):
            assert _same(docx[key]) == _same(pdf[key]), key
        elif key == "qa":
            assert [(_same(q["question"]), _same(q["answer"])) for q in docx[key]] == [
                (_same(q["question"]), _same(q["answer"])) for q in pdf[key]
            ]
        else:
            assert docx[key] == pdf[key], key


def test_prepared_remarks_are_not_questions(parsed, documents) -> None:
    result = parsed(documents / "innolight_300308.docx")
    assert result["content_text"].startswith("一、公司高管对")
    assert result["qa"][0]["question"].startswith("公司的毛利率和净利率持续向好")


def test_participants_subtable_and_wrapped_people(parsed) -> None:
    _require_shared()
    result = parsed(REAL / "海康威视：2021年4月18日-2021年4月30日投资者关系活动记录表.pdf")
    fuguo = next(p for p in result["participants"] if p["institution"] == "富国基金")
    assert fuguo["people"][4:8] == ["曹文俊", "李元博", "陈杰", "袁宜"]  # 李元\n博 joined
    assert "何激" in fuguo["people"] and "厉叶淼" in fuguo["people"]  # 、 at a line end
