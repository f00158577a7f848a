"""The result dict every parse returns, with every key present."""

from __future__ import annotations

from typing import Any

PARSER_VERSION = "2.1.0"

OK = "ok"
PARTIAL = "partial"
FAILED = "failed"
UNSUPPORTED = "unsupported"

FIELDS = (
    "stock_code",
    "stock_name",
    "company_name",
    "record_no",
    "activity_types",
    "activity_other",
    "participants",
    "participants_text",
    "people_count",
    "time_text",
    "start_date",
    "end_date",
    "start_time",
    "end_time",
    "location",
    "reception",
    "content_text",
    "qa",
    "attachments_text",
    "material_info",
    "record_date",
)
LIST_FIELDS = {"activity_types", "participants", "reception", "qa"}


def empty_result(fmt: str | None, status: str, warnings: list[str] | None = None) -> dict[str, Any]:
    """A result with every field absent and the given parse status."""
    result: dict[str, Any] = {name: ([] if name in LIST_FIELDS else None) for name in FIELDS}
    result["parse"] = {
        "status": status,
        "warnings": list(warnings or []),
        "parser_version": PARSER_VERSION,
        "format": fmt,
        "pages": None,
        "ocr_pages": 0,
    }
    return result
