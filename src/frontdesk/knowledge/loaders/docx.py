"""Word documents through python-docx: sections follow the heading styles."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.loaders._sections import SectionCollector
from frontdesk.knowledge.loaders._text import collapse

_CORRUPT = "This does not look like a valid DOCX file (it may be corrupted)."
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def load_docx(data: bytes, title: str) -> Document:
    """Split a DOCX at its headings; tables become "Column: value" rows."""
    document = _open(data)
    builder = SectionCollector()
    doc_title = collapse(document.core_properties.title or "")
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            builder.add(_table_text(item))
            continue
        text = collapse(item.text)
        if not text:
            continue
        style = _style_name(item)
        level = _heading_level(style)
        if style.lower() == "title":
            doc_title = doc_title or text
        elif level:
            builder.heading(level, text)
        else:
            builder.add(text)
    return Document(title=doc_title or title, sections=builder.finish())


def _open(data: bytes) -> DocxDocument:
    try:
        return docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        # ValueError: a zip that is not a Word document, e.g. an XLSX renamed to .docx.
        raise SourceFailed(_CORRUPT) from exc


def _style_name(paragraph: Paragraph) -> str:
    try:
        return paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, AttributeError):  # A style id missing from styles.xml.
        return ""


def _heading_level(style: str) -> int:
    match = _HEADING_STYLE.match(style.strip())
    return int(match.group(1)) if match else 0


def _table_text(table: Table) -> str:
    rows = [_row_cells(row) for row in table.rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    header, body = rows[0], rows[1:]
    if not body or not all(header):
        # No usable header row: keep the cells as plain lines.
        return "\n".join("; ".join(cell for cell in row if cell) for row in rows)
    lines = []
    for row in body:
        pairs = [
            f"{header[i]}: {cell}" if i < len(header) else cell
            for i, cell in enumerate(row)
            if cell
        ]
        lines.append("; ".join(pairs))
    return "\n".join(line for line in lines if line)


def _row_cells(row: _Row) -> list[str]:
    """Cell texts by grid column; a merged cell counts once, its other columns are blank."""
    cells: list[str] = []
    previous = None
    for cell in row.cells:
        cells.append("" if cell._tc is previous else collapse(cell.text))
        previous = cell._tc
    return cells
