"""Spreadsheets (CSV, TSV, XLSX): every data row becomes one atomic, self-describing section."""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document, Section
from frontdesk.knowledge.loaders._text import collapse, decode_text

_NO_ROWS = "The spreadsheet has no data rows, only a header; add rows below the column names."
_CORRUPT_XLSX = "This does not look like a valid XLSX file (it may be corrupted)."
_SNIFF_BYTES = 64 * 1024

# A row as read: its number as the spreadsheet shows it, then its cells.
Row = tuple[int, Sequence[object]]


def load_csv(data: bytes, title: str) -> Document:
    """Read a comma- (or semicolon-, pipe-) separated file; the delimiter is sniffed."""
    return _delimited(data, title, delimiter=None)


def load_tsv(data: bytes, title: str) -> Document:
    """Read a tab-separated file."""
    return _delimited(data, title, delimiter="\t")


def load_xlsx(data: bytes, title: str) -> Document:
    """Read every worksheet's cached values (formulas as last computed by Excel)."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise SourceFailed(_CORRUPT_XLSX) from exc
    try:
        sheets = [
            (sheet.title, _numbered(sheet.iter_rows(values_only=True)))
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()
    several = sum(1 for _, rows in sheets if any(_cells(row) for _, row in rows)) > 1
    sections = []
    for name, rows in sheets:
        prefix = f"{name} row" if several else "row"
        sections.extend(_row_sections(rows, heading=name, location_prefix=prefix))
    if not sections:
        raise SourceFailed(_NO_ROWS)
    return Document(title=title, sections=sections)


def _delimited(data: bytes, title: str, delimiter: str | None) -> Document:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    if delimiter is None:
        # Sniffer gives up on one-column files; a comma is the safe default.
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters=",;\t|")
        first_line = text.lstrip("\n").split("\n", 1)[0]
        if dialect.delimiter not in first_line:
            dialect = csv.excel  # A delimiter absent from the header is a sniffing accident.
    try:
        reader = csv.reader(io.StringIO(text), dialect, delimiter=delimiter or dialect.delimiter)
        rows = _numbered(reader)
    except csv.Error as exc:
        raise SourceFailed(
            f"The spreadsheet could not be read ({exc}); check that it is a valid CSV file."
        ) from exc
    sections = _row_sections(rows, heading="", location_prefix="row")
    if not sections:
        raise SourceFailed(_NO_ROWS)
    return Document(title=title, sections=sections)


def _numbered(rows: Iterable[Sequence[object]]) -> list[Row]:
    # CSV records and read-only worksheet rows both start at spreadsheet row 1.
    return list(enumerate(rows, start=1))


def _row_sections(rows: list[Row], *, heading: str, location_prefix: str) -> list[Section]:
    header: list[str] | None = None
    sections = []
    for number, row in rows:
        cells = _cells(row)
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        text = "; ".join(
            f"{_column_name(header, index)}: {value}" for index, value in enumerate(cells) if value
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


def _column_name(header: list[str], index: int) -> str:
    if index < len(header) and header[index]:
        return header[index]
    return f"Column {_column_letter(index)}"


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _cells(row: Sequence[object]) -> list[str]:
    return [_format(value) for value in row]


def _format(value: object) -> str:
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
