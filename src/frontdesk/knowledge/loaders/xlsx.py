"""Excel workbooks, read as a stream: one worksheet row at a time, formulas as last computed.

Every part is parsed record by record (a row, a shared text, a cell format), so memory holds
one record at a time plus what the rows themselves say; rows count against the row limit and
their cells' text against the text limit as they are read (one long shared text may be used
by every cell). openpyxl supplies the number-format and date rules Excel follows.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from lxml import etree
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel
from openpyxl.utils.datetime import from_ISO8601 as from_iso8601

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.limits import Limits, TextBudget, shorten
from frontdesk.knowledge.loaders._package import (
    main_part,
    open_package,
    related,
    relationships,
    stream_part,
)
from frontdesk.knowledge.loaders._xml import XmlStream
from frontdesk.knowledge.loaders.tabular import (
    MAX_COLUMN_NAME_CHARS,
    NO_ROWS,
    Cells,
    Row,
    RowBudget,
    cell_text,
    format_cell,
    row_sections,
)

LABEL = "Excel (XLSX)"
_CORRUPT = "This does not look like a valid XLSX file (it may be corrupted)."
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_TEXTS_PER_ROW = 20  # distinct texts a workbook may hold per row the row limit allows
_MAX_CELL_FORMATS = 65_536  # Excel itself stops at 64,000
_NUMBER, _DATE, _DURATION = 0, 1, 2


def load_xlsx(data: bytes, title: str, limits: Limits) -> Document:
    """Read every worksheet's cached values (formulas as last computed by Excel)."""
    budget = RowBudget(limits, LABEL)
    try:
        package = open_package(data, LABEL, limits)
        book = _Workbook(package, main_part(package), limits)
        sheets = [(name, book.rows(part, budget)) for name, part in book.sheets]
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise SourceFailed(_CORRUPT) from exc
    several = sum(1 for _, rows in sheets if any(cells for _, cells in rows)) > 1
    sections = []
    for name, rows in sheets:
        prefix = f"{name} row" if several else "row"
        sections.extend(row_sections(rows, heading=name, location_prefix=prefix, text=budget.text))
    if not sections:
        raise SourceFailed(NO_ROWS)
    return Document(title=title, sections=sections)


class _Workbook:
    """What every sheet needs to turn cells into text: shared texts, formats, the epoch."""

    def __init__(self, package: zipfile.ZipFile, part: str, limits: Limits) -> None:
        self.package = package
        self.sheets: list[tuple[str, str]] = []  # (name, part) in tab order
        self.epoch = CALENDAR_WINDOWS_1900
        self._read_workbook(part)
        self.texts = self._shared_texts(part, limits)
        self.kinds = self._cell_kinds(part)

    def rows(self, part: str, budget: RowBudget) -> list[Row]:
        """A sheet's rows, each counted against the budget as it is read."""
        rows: list[Row] = []
        number = 0
        stream = XmlStream(self._stream(part), [_S + "row", _S + "sheetData"], record="row")
        for element in stream:
            if element.tag == _S + "sheetData":
                break  # merged cells, links and the rest come after the data; skip them
            budget.take()
            number = int(element.get("r") or number + 1)
            rows.append((number, self._cells(element, budget.text)))
            stream.release(element)
        return rows

    def _cells(self, row: etree._Element, text_budget: TextBudget) -> Cells:
        cells: Cells = {}
        column = 0
        for cell in row.iterchildren(_S + "c"):
            reference = cell.get("r")
            if reference:
                column = column_index_from_string(reference.rstrip("0123456789"))
            else:
                column += 1
            text = format_cell(self._value(cell))
            if text:
                text_budget.take(len(text))
                cells[column - 1] = text
        return cells

    def _value(self, cell: etree._Element) -> object:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(_S + "is")
            return _text_of(inline) if inline is not None else None
        value = cell.findtext(_S + "v") or None
        if value is None:
            return None
        if kind == "n":
            number = float(value) if any(c in value for c in ".Ee") else int(value)
            style = int(cell.get("s") or 0)
            form = self.kinds[style] if style < len(self.kinds) else _NUMBER
            if form == _NUMBER:
                return number
            try:
                return from_excel(number, self.epoch, timedelta=form == _DURATION)
            except (OverflowError, ValueError):
                return "#VALUE!"  # what Excel shows for a date out of its range
        if kind == "s":
            return self.texts[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_iso8601(value)
        return value  # "str" (a formula's text) or "e" (an error such as #N/A)

    def _read_workbook(self, part: str) -> None:
        targets = {r.id: r for r in relationships(self.package, part)}
        tags = [_S + "sheet", _S + "workbookPr", _S + "definedName"]
        stream = XmlStream(self._stream(part), tags, record="workbook entry")
        for element in stream:
            if element.tag == _S + "workbookPr":
                if element.get("date1904") in ("1", "true"):
                    self.epoch = CALENDAR_MAC_1904
            elif element.tag == _S + "sheet":
                target = targets.get(element.get(_R_ID) or "")
                # Chart sheets have no cells; a sheet whose part is missing has none either.
                if (
                    target
                    and target.type.endswith("/worksheet")
                    and target.target in self.package.NameToInfo
                ):
                    # Heads every row as a column name does; Excel itself allows 31 characters.
                    name = shorten(element.get("name") or "", MAX_COLUMN_NAME_CHARS)
                    self.sheets.append((name, target.target))
            stream.release(element)
        if stream.root is None or stream.root.tag != _S + "workbook":
            raise zipfile.BadZipFile("the main part is not a workbook")

    def _shared_texts(self, part: str, limits: Limits) -> list[str]:
        texts: list[str] = []
        found = self._related(part, "sharedStrings")
        if found is None:
            return texts
        most = limits.max_rows * _TEXTS_PER_ROW
        stream = XmlStream(self._stream(found), [_S + "si"], record="shared text")
        for element in stream:
            if len(texts) >= most:
                raise SourceFailed(
                    f"This {LABEL} file holds more than {most:,} distinct texts, more than "
                    f"{limits.max_rows:,} rows (setting FRONTDESK_MAX_ROWS) could use."
                )
            # Tidied once here, not in every cell that uses it: one text may fill a sheet.
            texts.append(cell_text(_text_of(element)))
            stream.release(element)
        return texts

    def _cell_kinds(self, part: str) -> list[int]:
        """For each cell format (a cell's ``s``), whether it shows numbers, dates or durations."""
        kinds: list[int] = []
        found = self._related(part, "styles")
        if found is None:
            return kinds
        custom: dict[int, str] = {}
        tags = [_S + tag for tag in ("numFmt", "xf", "font", "fill", "border", "cellXfs")]
        stream = XmlStream(self._stream(found), tags, record="cell format")
        for element in stream:
            if element.tag == _S + "cellXfs":
                break  # the formats cells use are all read; the rest is looks
            if len(custom) + len(kinds) >= _MAX_CELL_FORMATS:
                raise SourceFailed(
                    f"This {LABEL} file has more than {_MAX_CELL_FORMATS:,} cell formats."
                )
            if element.tag == _S + "numFmt":
                code = (element.get("formatCode") or "")[:255]  # Excel's own limit
                custom[int(element.get("numFmtId") or 0)] = code
            parent = element.getparent()
            if element.tag == _S + "xf" and parent is not None and parent.tag == _S + "cellXfs":
                number_format = int(element.get("numFmtId") or 0)
                kinds.append(_kind(custom.get(number_format) or builtin_format_code(number_format)))
            stream.release(element)
        return kinds

    def _related(self, part: str, kind: str) -> str | None:
        found = related(self.package, part, kind)
        return found[0] if found and found[0] in self.package.NameToInfo else None

    def _stream(self, part: str) -> Iterator[bytes]:
        return stream_part(self.package, part)


def _kind(number_format: str | None) -> int:
    if not number_format or not is_date_format(number_format):
        return _NUMBER
    return _DURATION if is_timedelta_format(number_format) else _DATE


def _text_of(item: etree._Element) -> str:
    """A shared or inline text: its plain part and rich-text runs (phonetic guides left out)."""
    parts = []
    for child in item:
        if child.tag == _S + "t":
            parts.append(child.text or "")
        elif child.tag == _S + "r":
            parts.append(child.findtext(_S + "t") or "")
    return "".join(parts)
