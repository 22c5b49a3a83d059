"""Exports of stored articles: JSON Lines (the records of ``articles --json``) and CSV for
spreadsheets.

Both write batch by batch (``storage.search.iter_matches`` yields them by keyset pages), so an
export of the whole corpus holds one batch in memory. CSV is written UTF-8 with a byte order mark
(what Excel needs to read Chinese text as UTF-8), one article a row, lists joined by ``;``, the
event flattened; a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'`` so that a spreadsheet never runs crawled text as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal, TextIO

from crawler.records import article_record, json_line

ExportFormat = Literal["jsonl", "csv"]
FORMATS: Final = ("jsonl", "csv")
CSV_ENCODING: Final = "utf-8-sig"
CSV_COLUMNS: Final = (
    "id",
    "source",
    "published_at",
    "title",
    "url",
    "canonical_url",
    "author",
    "origin",
    "site_name",
    "language",
    "fetched_at",
    "relevant",
    "relevance_score",
    "topics",
    "flags",
    "event_name",
    "event_city",
    "event_start",
    "event_end",
    "story_id",
    "text",
)
_NUMERIC: Final = frozenset({"id", "relevance_score", "story_id"})
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_row(record: dict[str, Any]) -> list[str]:
    """One CSV row of an article record (``crawler.records.article_record``)."""
    event = record.get("event") or {}
    flat = {
        **record,
        "topics": ";".join(record.get("topics") or []),
        "flags": ";".join(record.get("flags") or []),
        "relevant": _yes_no(record.get("relevant")),
        "event_name": event.get("name"),
        "event_city": event.get("city"),
        "event_start": event.get("start"),
        "event_end": event.get("end"),
    }
    return [_cell(name, flat.get(name)) for name in CSV_COLUMNS]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    shown = str(value)
    if name not in _NUMERIC and shown.startswith(_FORMULA_START):
        return "'" + shown
    return shown


def write_export(out: TextIO, fmt: ExportFormat, batches: Iterable[Sequence[Any]]) -> int:
    """Write every article of ``batches`` to ``out`` (opened by ``open_export``); returns how
    many."""
    written = 0
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    for batch in batches:
        for article in batch:
            record = article_record(article)
            if writer is not None:
                writer.writerow(csv_row(record))
            else:
                out.write(json_line(record) + "\n")
            written += 1
    return written


def open_export(path: str, fmt: ExportFormat) -> TextIO:
    """The file to export to: CSV in UTF-8 with a BOM and no newline translation, JSONL in
    UTF-8."""
    if fmt == "csv":
        return open(path, "w", encoding=CSV_ENCODING, newline="")  # noqa: SIM115 (caller closes)
    return open(path, "w", encoding="utf-8")  # noqa: SIM115
