"""CSV files for the territory's staff, made for a French spreadsheet.

Choices: ``;`` separates the columns and decimals use a comma (what a French Excel or LibreOffice expects), the file
is UTF-8 with a byte-order mark (so Excel reads the accents), lines end with CRLF, headers are in French. A cell
that starts like a formula (``=``, ``+``, ``-``, ``@``) is prefixed with a quote so a spreadsheet never runs it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context

SEPARATOR = ";"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any, timezone: str = "UTC") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]], timezone: str = "UTC") -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")

    def line(values) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line([str(h) for h in header])
    for row in rows:
        yield line([cell(value, timezone) for value in row])


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]], timezone: str = "UTC") -> Response:
    """A streamed CSV download (rows may be a generator reading the database)."""
    response = Response(stream_with_context(csv_lines(header, rows, timezone)), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
