"""The parser against the hand-checked truth files (tests/truth/*.json, see its README.md).

One test per (document, field group); the comparison itself is tests/truth_score.py. A truth
file's ``"xfail": {"<group or field>": "reason"}`` marks the matching groups xfail (not strict).
Documents are parsed once per module, in parallel, and only those whose tests were collected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_lock
from tests.truth_score import parse_all, score, silent_loss

TESTS = Path(__file__).resolve().parent
TRUTH = TESTS / "truth"
RECORDS = TESTS / "fixtures" / "records"

# group -> (truth fields it checks, xfail keys that mark it: the group's name or one of its fields;
# "reception" does not mark reception_titles nor "qa" qa_answers/silent_loss: name those explicitly)
GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "header": (("stock_code", "stock_name", "company_name"),) * 2,
    "activity": (("activity_types", "activity_other"),) * 2,
    "dates": (("start_date", "end_date", "record_date"),) * 2,
    "location": (("location",),) * 2,
    "reception": (("reception",),) * 2,
    "reception_titles": (("reception",), ()),
    "institutions": (("institutions",),) * 2,
    "people_count": (("people_count",),) * 2,
    "qa": (("qa",),) * 2,
    "qa_answers": (("qa",), ()),
    "silent_loss": (("qa",), ()),
}


def _load(path: Path) -> dict | str:
    """The truth dict, or the reason it can't be read (the tests then fail with it)."""
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"unreadable truth file {path.name}: {exc}"
    if not isinstance(truth, dict):
        return f"truth file {path.name} is not a JSON object"
    return truth


TRUTHS: dict[str, dict | str] = {p.stem: _load(p) for p in sorted(TRUTH.glob("*.json"))}


def _xfail_reason(truth: dict | str, group: str) -> str | None:
    """The reason of the truth's xfail entry for this group, if it has one."""
    if not isinstance(truth, dict) or not isinstance(truth.get("xfail"), dict):
        return None
    for key in (group, *GROUPS[group][1]):
        if key in truth["xfail"]:
            return f"{key}: {truth['xfail'][key]}"
    return None


def _params() -> list:
    params = []
    for stem, truth in TRUTHS.items():
        for group in GROUPS:
            reason = _xfail_reason(truth, group)
            marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
            params.append(pytest.param(stem, group, marks=marks, id=f"{stem}-{group}"))
    return params


PARAMS = _params()


def _pdf(stem: str, truth: dict) -> Path:
    name = truth.get("file", f"{stem}.pdf")
    if name != f"{stem}.pdf":
        pytest.fail(f"truth file {stem}.json names {name!r}, expected {stem}.pdf")
    path = RECORDS / name
    if not path.is_file():
        pytest.fail(f"fixture missing for truth {stem}.json: {path}")
    return path


@pytest.fixture(scope="module")
def parsed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Path], dict]:
    """Each document parsed once; every collected document of this module in one parallel go
    (under xdist, not while an ``alone`` test runs: it takes every CPU)."""
    wanted: set[Path] = set()
    for item in request.session.items:
        stem = getattr(item, "callspec", None) and item.callspec.params.get("stem")
        truth = TRUTHS.get(stem) if item.module is request.module and stem else None
        if isinstance(truth, dict):
            path = RECORDS / truth.get("file", f"{stem}.pdf")
            if path.is_file():
                wanted.add(path)
    with run_lock(tmp_path_factory, exclusive=False):
        cache = parse_all(sorted(wanted))

    def get(path: Path) -> dict:
        if path not in cache:
            cache.update(parse_all([path]))
        result = cache[path]
        if isinstance(result, str):
            pytest.fail(f"{path.name}: {result}")
        return result

    return get


def test_truth_files_present() -> None:
    assert TRUTHS, f"no truth files in {TRUTH}"


@pytest.mark.parametrize(("stem", "group"), PARAMS)
def test_truth(stem: str, group: str, parsed: Callable[[Path], dict]) -> None:
    truth = TRUTHS[stem]
    if isinstance(truth, str):
        pytest.fail(truth)
    fields, _ = GROUPS[group]
    absent = [f for f in fields if f not in truth]
    assert not absent, f"{stem}.json lacks {absent}"
    result = parsed(_pdf(stem, truth))
    scores = score(result, truth)

    def problems(*names: str) -> str:
        lines = [m for m in scores["mismatches"] if m.split(":", 1)[0] in names]
        return f"{stem} [{group}]:\n  " + "\n  ".join(lines)

    if group == "silent_loss":
        parse = result["parse"]
        lost = silent_loss(result, truth)
        assert not lost, (
            f"{problems('qa')}\n  recall {scores['qa_recall']:.2f} yet status "
            f"{parse['status']!r} with warnings {parse['warnings']}"
        )
    elif group == "qa":
        assert scores["qa_recall"] == 1.0 and scores["qa_precision"] == 1.0, problems("qa")
    elif group in ("qa_answers", "reception_titles"):
        assert scores["fields"][group] == 1.0, problems(group)
    else:
        assert all(scores["fields"][f] == 1.0 for f in fields), problems(*fields)
