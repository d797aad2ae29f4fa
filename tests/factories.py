"""Builders for real test files (PDF, DOCX, XLSX, CSV, ZIP-based fakes) made in memory."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import docx
import openpyxl
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter


@dataclass(frozen=True)
class Heading:
    """A DOCX heading paragraph for make_docx; level 1 is "Heading 1"."""

    level: int
    text: str


@dataclass(frozen=True)
class Styled:
    """A DOCX paragraph in a style of python-docx's template ("List Bullet", "List Number"),
    numbered as its own properties say when ``num_id`` is set (numbering.xml's numIds;
    "0" takes the style's numbering off)."""

    text: str
    style: str | None = None
    num_id: str | None = None
    level: int = 0


@dataclass(frozen=True)
class Formula:
    """An XLSX formula cell with the value Excel would have cached when saving."""

    expression: str  # without the leading "="
    cached: float | int


DocxBlock = str | Heading | Styled | Sequence[Sequence[str]]


def make_pdf(pages: list[str], *, title: str | None = None) -> bytes:
    """A text PDF with one page per string (Latin-1 text, as the core fonts allow)."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text=text)
    return bytes(pdf.output())


def make_image_only_pdf(pages: int = 1) -> bytes:
    """A PDF whose pages hold only drawings, like a scan without OCR."""
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def make_encrypted_pdf(
    pages: list[str], *, user_password: str = "secret", owner_password: str | None = None
) -> bytes:
    """A PDF encrypted with pypdf; an empty user password opens without asking."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(pages))))
    writer.encrypt(user_password, owner_password=owner_password or "owner-" + user_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(blocks: Sequence[DocxBlock], *, title: str | None = None) -> bytes:
    """A DOCX from paragraphs (str or Styled), headings (Heading) and tables (rows of
    cells)."""
    document = docx.Document()
    if title:
        document.core_properties.title = title
    for block in blocks:
        if isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, str):
            document.add_paragraph(block)
        elif isinstance(block, Styled):
            paragraph = document.add_paragraph(block.text, style=block.style)
            if block.num_id is not None:
                numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
                numbering.get_or_add_ilvl().val = block.level
                numbering.get_or_add_numId().val = int(block.num_id)
        else:
            rows = [list(row) for row in block]
            table = document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    """A workbook with one sheet per entry; Formula cells carry a cached value."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    cached: dict[str, str] = {}
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            values = []
            for value in row:
                if isinstance(value, Formula):
                    cached[value.expression] = str(value.cached)
                    value = "=" + value.expression
                values.append(value)
            sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return _with_cached_values(out.getvalue(), cached) if cached else out.getvalue()


def _with_cached_values(data: bytes, cached: dict[str, str]) -> bytes:
    # openpyxl never computes formulas; write the results in as Excel would have.
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text = content.decode("utf-8")
                for expression, value in cached.items():
                    formula = re.escape(f"<f>{escape(expression)}</f>")
                    empty = r"(?:<v>\s*</v>|<v\s*/>)"
                    text = re.sub(formula + empty, _cell_value(expression, value), text)
                content = text.encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def _cell_value(expression: str, value: str) -> str:
    return f"<f>{escape(expression)}</f><v>{escape(value)}</v>"


def make_csv(rows: Sequence[Sequence[str]], *, delimiter: str = ",") -> bytes:
    """A CSV (or TSV) file in UTF-8."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def make_zip(files: dict[str, bytes]) -> bytes:
    """A plain ZIP archive, e.g. to fake an Office file that is not one."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()
