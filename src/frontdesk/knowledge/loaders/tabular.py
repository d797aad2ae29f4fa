"""Spreadsheets (CSV, TSV; XLSX in xlsx.py): every data row becomes one atomic section.

Rows are counted as they are read and reading stops past the limit, so a file of a million
rows fails after the first rows over it rather than after all of them.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, time

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document, Section
from frontdesk.knowledge.limits import Limits
from frontdesk.knowledge.loaders._text import collapse, decode_text

NO_ROWS = "The spreadsheet has no data rows, only a header; add rows below the column names."
_SNIFF_BYTES = 64 * 1024

# A row's non-empty cells by 0-based column, as a person reads them.
Cells = dict[int, str]
# A row as read: its number as the spreadsheet shows it, then its cells.
Row = tuple[int, Cells]


class RowBudget:
    """Counts the rows of one source as they are read; the one past the limit fails it."""

    def __init__(self, limits: Limits, label: str) -> None:
        self.limit = limits.max_rows
        self.label = label
        self.read = 0

    def take(self) -> None:
        self.read += 1
        if self.read > self.limit:
            raise SourceFailed(
                f"This {self.label} file has more than {self.limit:,} rows, the most one "
                "source may (setting FRONTDESK_MAX_ROWS); split it into smaller files."
            )


def load_csv(data: bytes, title: str, limits: Limits) -> Document:
    """Read a comma- (or semicolon-, pipe-) separated file; the delimiter is sniffed."""
    return _delimited(data, title, None, RowBudget(limits, "CSV"))


def load_tsv(data: bytes, title: str, limits: Limits) -> Document:
    """Read a tab-separated file."""
    return _delimited(data, title, "\t", RowBudget(limits, "TSV"))


def _delimited(data: bytes, title: str, delimiter: str | None, budget: RowBudget) -> Document:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    if delimiter is None:
        # Sniffer gives up on one-column files; a comma is the safe default.
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters=",;\t|")
        first_line = text.lstrip("\n").split("\n", 1)[0]
        if dialect.delimiter not in first_line:
            dialect = csv.excel  # A delimiter absent from the header is a sniffing accident.
    reader = csv.reader(io.StringIO(text), dialect, delimiter=delimiter or dialect.delimiter)
    rows: list[Row] = []
    try:
        # CSV records start at spreadsheet row 1.
        for number, record in enumerate(reader, start=1):
            budget.take()
            cells = {index: cell for index, value in enumerate(record) if (cell := collapse(value))}
            rows.append((number, cells))
    except csv.Error as exc:
        raise SourceFailed(
            f"The spreadsheet could not be read ({exc}); check that it is a valid CSV file."
        ) from exc
    sections = row_sections(rows, heading="", location_prefix="row")
    if not sections:
        raise SourceFailed(NO_ROWS)
    return Document(title=title, sections=sections)


def row_sections(rows: Iterable[Row], *, heading: str, location_prefix: str) -> list[Section]:
    """The first non-empty row names the columns; each later one becomes a section."""
    header: Cells | None = None
    sections = []
    for number, cells in rows:
        if not cells:
            continue
        if header is None:
            header = cells
            continue
        text = "; ".join(
            f"{_column_name(header, index)}: {value}" for index, value in sorted(cells.items())
        )
        sections.append(
            Section(
                text=text,
                heading=heading,
                location=f"{location_prefix} {number}",
                atomic=True,
            )
        )
    return sections


def _column_name(header: Cells, index: int) -> str:
    return header.get(index) or f"Column {_column_letter(index)}"


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def format_cell(value: object) -> str:
    """Render a cell as a person reads it: 12999 not 12999.0, dates without midnight."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(round(value, 10))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return collapse(str(value))
