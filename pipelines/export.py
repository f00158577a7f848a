"""Export the archive's records as tidy tables a researcher loads directly, keyed by
``source``/``source_id``:

    records        one row per record: listing metadata, file, parsed scalar fields, parse status
    participants   one row per visiting institution and person (person empty if none named)
    reception      one row per company representative
    qa             one row per question (p5w's asker/answerer/asked_at/answered_at when known)

Parquet keeps the types (dates as date32, times as timestamps with their zone, lists as lists);
CSV joins list cells with "; " and puts a ``'`` before a text cell that a spreadsheet would take for
a formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: titles and Q&A
are written by others); JSON Lines writes dates and times in ISO 8601.

Export only reads the archive: the index is read (and completed in memory), never written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipelines.index import archive_sources, load_index, parse_record
from pipelines.institutions import identify
from pipelines.storage import ArchiveStore

FORMATS = ("parquet", "jsonl", "csv")
SHANGHAI_TZ = "Asia/Shanghai"
BATCH = 2000  # records read before their rows are written

KEY = [("source", pa.string()), ("source_id", pa.string())]
SCHEMAS = {
    "records": pa.schema(
        [
            *KEY,
            ("exchange", pa.string()),
            ("stock_code", pa.string()),
            ("stock_name", pa.string()),
            ("company_name", pa.string()),
            ("org_id", pa.string()),
            ("title", pa.string()),
            ("published_at", pa.timestamp("ms", tz=SHANGHAI_TZ)),
            ("published_date", pa.date32()),
            ("record_no", pa.string()),
            ("activity_types", pa.list_(pa.string())),
            ("activity_other", pa.string()),
            ("participants_text", pa.string()),
            ("time_text", pa.string()),
            ("start_date", pa.date32()),
            ("end_date", pa.date32()),
            ("start_time", pa.string()),
            ("end_time", pa.string()),
            ("location", pa.string()),
            ("content_text", pa.string()),
            ("attachments_text", pa.string()),
            ("material_info", pa.string()),
            ("record_date", pa.date32()),
            ("participant_count", pa.int32()),
            ("people_count", pa.int32()),
            ("question_count", pa.int32()),
            ("parse_status", pa.string()),
            ("parser_version", pa.string()),
            ("parse_format", pa.string()),
            ("parse_pages", pa.int32()),
            ("parse_warnings", pa.list_(pa.string())),
            ("error", pa.string()),
            ("duplicate_of_source", pa.string()),
            ("duplicate_of_id", pa.string()),
            ("file_key", pa.string()),
            ("file_sha256", pa.string()),
            ("file_size", pa.int64()),
            ("content_type", pa.string()),
            ("file_url", pa.string()),
            ("detail_url", pa.string()),
            ("archived_at", pa.timestamp("ms", tz="UTC")),
        ]
    ),
    "participants": pa.schema(
        [
            *KEY,
            ("institution_no", pa.int32()),
            ("institution", pa.string()),
            ("canonical", pa.string()),
            ("org_type", pa.string()),
            ("person", pa.string()),
        ]
    ),
    "reception": pa.schema(
        [*KEY, ("position", pa.int32()), ("name", pa.string()), ("title", pa.string())]
    ),
    "qa": pa.schema(
        [
            *KEY,
            ("position", pa.int32()),
            ("question", pa.string()),
            ("answer", pa.string()),
            ("asker", pa.string()),
            ("answerer", pa.string()),
            ("asked_at", pa.timestamp("ms", tz=SHANGHAI_TZ)),
            ("answered_at", pa.timestamp("ms", tz=SHANGHAI_TZ)),
        ]
    ),
}


def as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def as_time(value: Any) -> datetime | None:
    """An ISO 8601 time; one without a zone is China time, as every source publishes."""
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(SHANGHAI_TZ))
    return moment


def as_text(value: Any) -> str | None:
    """Text cells; anything else (a dict a newer record format holds) as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _institution(group: dict[str, Any]) -> dict[str, Any]:
    """A participant's institution, canonical name and type (named now for records parsed
    before the parser named them)."""
    name = group.get("institution")
    if "org_type" not in group:
        org = identify(name) if name else None
        group = {**group, "canonical": org.canonical if org else None}
        group["org_type"] = org.org_type if org else "个人"
    return {"institution": name, "canonical": group["canonical"], "org_type": group["org_type"]}


def rows_of(record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The rows every table gets from one record."""
    key = {"source": record["source"], "source_id": str(record["source_id"])}
    file = record.get("file") or {}
    parse = record.get("parse") or {}
    duplicate = record.get("duplicate_of") or {}
    participants = record.get("participants") or []
    qa = record.get("qa") or []
    text = {name: as_text(record.get(name)) for name in TEXT_FIELDS}
    main = {
        **key,
        **text,
        "published_at": as_time(record.get("published_at")),
        "published_date": as_date(record.get("published_at")),
        "activity_types": record.get("activity_types") or [],
        "start_date": as_date(record.get("start_date")),
        "end_date": as_date(record.get("end_date")),
        "record_date": as_date(record.get("record_date")),
        "participant_count": len(participants),
        "people_count": record.get("people_count"),
        "question_count": len(qa),
        "parse_status": parse.get("status"),
        "parser_version": parse.get("parser_version"),
        "parse_format": parse.get("format"),
        "parse_pages": parse.get("pages"),
        "parse_warnings": parse.get("warnings") or [],
        "duplicate_of_source": duplicate.get("source"),
        "duplicate_of_id": as_text(duplicate.get("source_id")),
        "file_key": file.get("key"),
        "file_sha256": file.get("sha256"),
        "file_size": file.get("size"),
        "content_type": file.get("content_type"),
        "archived_at": as_time(record.get("archived_at")),
    }
    people = [
        {**key, "institution_no": n, **_institution(group), "person": person}
        for n, group in enumerate(participants, 1)
        for person in (group.get("people") or [None])
    ]
    reception = [
        {**key, "position": n, "name": person.get("name"), "title": person.get("title")}
        for n, person in enumerate(record.get("reception") or [], 1)
    ]
    questions = [
        {
            **key,
            "position": n,
            "question": as_text(item.get("question")),
            "answer": as_text(item.get("answer")),
            "asker": as_text(item.get("asker")),
            "answerer": as_text(item.get("answerer")),
            "asked_at": as_time(item.get("asked_at")),
            "answered_at": as_time(item.get("answered_at")),
        }
        for n, item in enumerate(qa, 1)
    ]
    return {"records": [main], "participants": people, "reception": reception, "qa": questions}


TEXT_FIELDS = (
    "exchange",
    "stock_code",
    "stock_name",
    "company_name",
    "org_id",
    "title",
    "record_no",
    "activity_other",
    "participants_text",
    "time_text",
    "start_time",
    "end_time",
    "location",
    "content_text",
    "attachments_text",
    "material_info",
    "error",
    "file_url",
    "detail_url",
)


def selected_entries(
    store: ArchiveStore,
    since: date | None = None,
    until: date | None = None,
    sources: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Index entries of the records published in [since, until], by source, in published order
    (records the index lacks are read in; nothing is written)."""
    return [
        entry
        for source in sources or archive_sources(store)
        for entry in load_index(store, source).select(since=since, until=until)
    ]


def archived_records(
    store: ArchiveStore, entries: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The records ``entries`` name, read one at a time."""
    for entry in entries:
        record = parse_record(store.read(entry["key"]))
        if record is not None:
            yield record


@dataclass
class TableWriter:
    """One table's file, written in batches."""

    path: Path
    fmt: str
    schema: pa.Schema
    rows: int = 0
    _writer: Any = field(default=None, repr=False)

    def write(self, rows: list[dict[str, Any]]) -> None:
        table = pa.Table.from_pylist(rows, schema=self.schema)
        self.rows += len(rows)
        if self.fmt == "jsonl":
            with self.path.open("a", encoding="utf-8") as out:
                for row in table.to_pylist():
                    out.write(json.dumps(row, ensure_ascii=False, default=_iso) + "\n")
            return
        if self.fmt == "csv":
            table = neutralized(_joined_lists(table))
        if self._writer is None:
            opener = pq.ParquetWriter if self.fmt == "parquet" else pa_csv.CSVWriter
            self._writer = opener(str(self.path), table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is None and self.fmt != "jsonl":
            self.write([])  # an empty table still has its columns
        if self._writer is not None:
            self._writer.close()
        self.path.touch()


def _iso(value: Any) -> str:
    return value.isoformat()


def _joined_lists(table: pa.Table) -> pa.Table:
    for i, column in enumerate(table.schema):
        if pa.types.is_list(column.type):
            cells = ["; ".join(v) if v is not None else None for v in table.column(i).to_pylist()]
            table = table.set_column(i, column.name, pa.array(cells, pa.string()))
    return table


# What makes a spreadsheet read a CSV cell as a formula (OWASP's list of "CSV injection" leads).
FORMULA_START = r"^[=+\-@\t\r]"


def neutralized(table: pa.Table) -> pa.Table:
    """``table`` with every text cell that starts like a formula prefixed with ``'``, so that a
    spreadsheet opening the CSV shows it as text instead of running it."""
    for i, column in enumerate(table.schema):
        if pa.types.is_string(column.type):
            cells = table.column(i)
            risky = pc.fill_null(pc.match_substring_regex(cells, FORMULA_START), False)
            quoted = pc.binary_join_element_wise("'", cells, "")
            table = table.set_column(i, column.name, pc.if_else(risky, quoted, cells))
    return table


def export_archive(
    records: Iterable[dict[str, Any]],
    out: Path,
    fmt: str,
    drop_duplicates: bool = False,
) -> dict[str, int]:
    """Write the four tables of ``records`` to ``out/<table>.<fmt>``; rows written per table."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    writers = {}
    for name, schema in SCHEMAS.items():
        path = out / f"{name}.{fmt}"
        path.unlink(missing_ok=True)
        writers[name] = TableWriter(path, fmt, schema)
    batch: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
    count = 0
    for record in records:
        if drop_duplicates and record.get("duplicate_of"):
            continue
        for name, rows in rows_of(record).items():
            batch[name].extend(rows)
        count += 1
        if count % BATCH == 0:
            for name, writer in writers.items():
                writer.write(batch[name])
                batch[name] = []
    for name, writer in writers.items():
        if batch[name]:
            writer.write(batch[name])
        writer.close()
    return {name: writer.rows for name, writer in writers.items()}
