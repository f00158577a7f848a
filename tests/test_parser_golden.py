"""Golden tests of the template-variant test documents.

The documents are built per session by tests/docgen/build_documents.py (the `documents`
fixture) from record texts of other templates; the expected values in tests/golden/ were
checked against those texts (long texts pinned by digest, see golden_format). Real records are
checked against hand-read truth in test_parser_truth.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.parser import parse_document
from tests.golden_format import to_golden

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
# Every golden file names a built document.
FILE_NAMES = sorted(p.name.removesuffix(".json") for p in GOLDEN.glob("*.json"))
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


@pytest.mark.parametrize("stem", DOCX_STEMS)
def test_docx_and_pdf_of_same_content_agree(stem: str, parsed, documents) -> None:
    docx = parsed(documents / f"{stem}.docx")
    pdf = parsed(documents / f"{stem}.pdf")
    assert docx["parse"]["format"] == "docx" and pdf["parse"]["format"] == "pdf"
    for key in docx:
        if key == "parse":
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
