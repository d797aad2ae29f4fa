"""Spreadsheets (CSV, TSV; XLSX in xlsx.py): every data row becomes one atomic section.

Rows are counted as they are read and reading stops past the limit, so a file of a million
rows fails after the first rows over it rather than after all of them. Their text is counted
the same way: cells as they are read, column names as each row repeats them.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, time

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document, Section
from frontdesk.knowledge.limits import Limits, TextBudget, shorten
from frontdesk.knowledge.loaders._text import collapse, decode_text

NO_ROWS = "The spreadsheet has no data rows, only a header; add rows below the column names."
_SNIFF_BYTES = 64 * 1024
# Every row repeats its column names; a longer name adds size to every row, not meaning.
MAX_COLUMN_NAME_CHARS = 100
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell

# A row's non-empty cells by 0-based column, as a person reads them.
Cells = dict[int, str]
# A row as read: its number as the spreadsheet shows it, then its cells.
Row = tuple[int, Cells]


class RowBudget:
    """Counts the rows of one source as they are read, the one past the limit failing it.

    ``text`` counts the characters of their cells as read and then what rendering adds.
    """

    def __init__(self, limits: Limits, label: str) -> None:
        self.limit = limits.max_rows
        self.label = label
        self.read = 0
        self.text = TextBudget(limits)

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
            cells = {index: text for index, cell in enumerate(record) if (text := cell_text(cell))}
            budget.text.take(sum(map(len, cells.values())))
            rows.append((number, cells))
    except csv.Error as exc:
        raise SourceFailed(
            f"The spreadsheet could not be read ({exc}); check that it is a valid CSV file."
        ) from exc
    sections = row_sections(rows, heading="", location_prefix="row", text=budget.text)
    if not sections:
        raise SourceFailed(NO_ROWS)
    return Document(title=title, sections=sections)


def row_sections(
    rows: Iterable[Row], *, heading: str, location_prefix: str, text: TextBudget
) -> list[Section]:
    """The first non-empty row names the columns; each later one becomes a section.

    The cells were counted in ``text`` as they were read; each row counts what rendering
    adds to them (column names, separators, the heading it carries) as it is built.
    """
    header: Cells | None = None
    sections = []
    for number, cells in rows:
        if not cells:
            continue
        if header is None:
            header = {index: shorten(name, MAX_COLUMN_NAME_CHARS) for index, name in cells.items()}
            continue
        rendered = "; ".join(
            f"{_column_name(header, index)}: {value}" for index, value in sorted(cells.items())
        )
        text.take(len(rendered) - sum(map(len, cells.values())) + len(heading))
        sections.append(
            Section(
                text=rendered,
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


def cell_text(value: str) -> str:
    """A cell's text as rendered: whitespace collapsed, at most MAX_CELL_CHARS characters."""
    return shorten(collapse(value), MAX_CELL_CHARS)


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
    return cell_text(str(value))
