"""Parse an investor-relations activity record (投资者关系活动记录表) into fields.

``parse_document(data)`` takes the original file's bytes (PDF, DOCX, DOC or HTML, told apart by
their magic bytes) and returns a dict with every field key present; it never raises. No Scrapy
imports here: the parser is a plain library, usable from pipelines, commands and scripts.
"""

from __future__ import annotations

from .parse import parse_document, parse_file
from .result import FIELDS, PARSER_VERSION

__all__ = ["FIELDS", "PARSER_VERSION", "parse_document", "parse_file"]
