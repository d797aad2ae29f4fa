"""Build the question bank's binary documents from their plain-text sources.

A business's content folder holds what an owner uploads. Three kinds are kept as text so they
can be read and reviewed here, and are built into real files before a run:

- ``name.docx.md`` -> ``name.docx`` (python-docx: headings, paragraphs, bullet lists, tables)
- ``name.pdf.md``  -> ``name.pdf``  (fpdf2: bold headings in larger type, paragraphs, tables)
- ``name.xlsx.csv`` -> ``name.xlsx`` (openpyxl: one sheet)

Every other file is copied as it is. The source subset is Markdown's: ``#``/``##``/``###``
headings, paragraphs, ``- `` bullets and pipe tables.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_DIVIDER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")


@dataclass
class Block:
    kind: str  # heading, paragraph, bullets, table
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def parse(text: str) -> tuple[str, list[Block]]:
    """The document's title (its first level-1 heading) and its blocks in order."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        index += 1
        if not line.strip():
            continue
        heading = _HEADING.match(line)
        if heading:
            blocks.append(Block("heading", heading.group(2).strip(), len(heading.group(1))))
        elif line.lstrip().startswith("|"):
            rows = [_cells(line)]
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                if not _DIVIDER.match(lines[index]):
                    rows.append(_cells(lines[index]))
                index += 1
            blocks.append(Block("table", rows=rows))
        elif line.lstrip().startswith("- "):
            items = [line.lstrip()[2:].strip()]
            while index < len(lines) and lines[index].lstrip().startswith("- "):
                items.append(lines[index].lstrip()[2:].strip())
                index += 1
            blocks.append(Block("bullets", items=items))
        else:
            paragraph = [line.strip()]
            while index < len(lines) and lines[index].strip() and not _starts_block(lines[index]):
                paragraph.append(lines[index].strip())
                index += 1
            blocks.append(Block("paragraph", " ".join(paragraph)))
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), "")
    return title, blocks


def _starts_block(line: str) -> bool:
    stripped = line.lstrip()
    return bool(_HEADING.match(line)) or stripped.startswith(("|", "- "))


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def build_docx(source: Path, target: Path) -> None:
    import docx

    title, blocks = parse(source.read_text(encoding="utf-8"))
    document = docx.Document()
    document.core_properties.title = title
    for block in blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=block.level)
        elif block.kind == "paragraph":
            document.add_paragraph(block.text)
        elif block.kind == "bullets":
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        else:
            table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(block.rows):
                for c, value in enumerate(row[: len(block.rows[0])]):
                    table.cell(r, c).text = value
    document.save(str(target))


def build_pdf(source: Path, target: Path) -> None:
    from fpdf import FPDF

    title, blocks = parse(source.read_text(encoding="utf-8"))
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    sizes = {1: 18, 2: 14, 3: 12}
    for block in blocks:
        if block.kind == "heading":
            pdf.ln(3)
            pdf.set_font("Helvetica", "B", sizes[block.level])
            pdf.multi_cell(
                0, sizes[block.level] * 0.5, _latin(block.text), new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(1)
        elif block.kind == "paragraph":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, _latin(block.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif block.kind == "bullets":
            pdf.set_font("Helvetica", "", 10)
            for item in block.items:
                pdf.multi_cell(0, 5, _latin(f"- {item}"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        else:
            pdf.set_font("Helvetica", "", 9)
            with pdf.table() as table:
                for row in block.rows:
                    cells = table.row()
                    for value in row:
                        cells.cell(_latin(value))
            pdf.ln(2)
    pdf.output(str(target))


def _latin(text: str) -> str:
    """fpdf2's core fonts are Latin-1 (plus the euro sign): replace typographic punctuation."""
    table = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "€": "EUR"}
    for old, new in table.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def build_xlsx(source: Path, target: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = source.name.split(".")[0][:31]
    for row in csv.reader(io.StringIO(source.read_text(encoding="utf-8"))):
        sheet.append([_number(cell) for cell in row])
    workbook.save(str(target))


def _number(cell: str) -> object:
    """Plain numbers become numbers, as a person typing into Excel would get."""
    if re.fullmatch(r"-?\d+", cell):
        return int(cell)
    if re.fullmatch(r"-?\d+\.\d+", cell):
        return float(cell)
    return cell


BUILDERS = {".docx.md": build_docx, ".pdf.md": build_pdf, ".xlsx.csv": build_xlsx}


def build(content: Path, target: Path) -> list[Path]:
    """Build or copy every file of ``content`` into ``target``; returns the built files."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    out = []
    for path in sorted(p for p in content.iterdir() if p.is_file()):
        for suffix, builder in BUILDERS.items():
            if path.name.endswith(suffix):
                built = target / (path.name[: -len(suffix)] + "." + suffix.split(".")[1])
                builder(path, built)
                break
        else:
            built = target / path.name
            shutil.copyfile(path, built)
        out.append(built)
    return out
