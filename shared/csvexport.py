"""CSV files for spreadsheets, the one way every export writes them: UTF-8 with a BOM (so
Excel reads Cyrillic right), CRLF line ends, and every cell through :func:`safe_cell`, so that
no cell runs as a formula (OWASP "CSV injection"). Rows are streamed in pieces of about
``CHUNK_BYTES``: an export of many rows holds little in memory and makes few writes.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from typing import Any

BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_BYTES = 64 * 1024
MIMETYPE = "text/csv"


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: a text starting like a formula gets a leading
    apostrophe (finite numbers pass unchanged: they are no formula); None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def stream(header: Iterable[Any], rows: Iterable[Iterable[Any]], chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The file, in pieces: the BOM, the header, then each row, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
        if out.tell() >= chunk_bytes:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")
