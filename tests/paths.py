"""Where the committed test fixtures live. The suite reads nothing outside the checkout (not
the development corpus beside it): every document and payload a test needs is under
``tests/fixtures/``."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
RECORDS = FIXTURES / "records"  # real record PDFs (SOURCES.md), with truth in tests/truth/
SAMPLES = FIXTURES / "samples"  # listing payloads the site imitations copy their shapes from
TEXTS = FIXTURES / "texts"  # record texts the docgen lays out as template variants
NER = FIXTURES / "ner" / "all_data.txt"  # participant cells labelled institution / person


def fixture_file(path: Path) -> Path:
    """``path``, which must exist: a missing fixture is an error, never a skipped test."""
    if not path.is_file():
        raise FileNotFoundError(f"test fixture missing: {path} (it is committed under tests/)")
    return path


def require_samples(names: tuple[str, ...]) -> None:
    """Check that a site imitation's sample payloads exist, when the site is made in the test
    (its server reads them later, in its own thread, where an error would not name the file)."""
    for name in names:
        fixture_file(SAMPLES / name)
