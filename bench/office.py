"""Reading Office files: the streaming loaders against python-docx / openpyxl, and bombs.

    python bench/office.py [--paragraphs 20000] [--rows 40000]

In one run, on the same bytes:

1. a large but honest DOCX (headings, paragraphs, a table every 50 paragraphs) and XLSX
   (``--rows`` rows of 6 columns), read by ``load_file`` (what ingestion does: lxml a record
   at a time) and by the baseline — python-docx (the loader before the streaming one) and
   openpyxl's full workbook load — timing each and measuring its peak Python allocation;
2. the hostile files the security issue named: a DOCX holding 400 MB of XML in ~1.2 MB and an
   XLSX with 1,000,000 rows, refused by ``load_file`` (time to the refusal, peak memory).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from factories import Heading, make_docx
from frontdesk.errors import SourceFailed
from frontdesk.knowledge.loaders import load_file
from office_bombs import MB, docx_bomb, xlsx_rows


def measure(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(seconds, peak MB of Python allocations, result) of one call."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = work()
    except SourceFailed as exc:
        result = exc
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return took, peak / MB, result


def honest_docx(paragraphs: int) -> bytes:
    blocks: list[Any] = []
    for i in range(paragraphs):
        if i % 50 == 0:
            blocks.append(Heading(2, f"Section {i // 50}"))
            blocks.append([["Model", "Price", "Stock"], [f"Glacier {i}", f"${i},999", "3"]])
        blocks.append(
            f"Paragraph {i}: the Glacier 850 comes with a two-year warranty, heated grips "
            "and a reverse gear; service is done at our Duluth workshop."
        )
    return make_docx(blocks)


def honest_xlsx(rows: int) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Stock #", "Model", "Type", "Year", "Price", "Notes"])
    for i in range(rows):
        sheet.append([f"RP-{i}", f"Glacier {i % 900}", "Snowmobile", 2020 + i % 6, 9999 + i, "ok"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def python_docx_text(data: bytes) -> int:
    document = docx.Document(io.BytesIO(data))
    words = sum(len(p.text.split()) for p in document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            words += sum(len(cell.text.split()) for cell in row.cells)
    return words


def openpyxl_rows(data: bytes) -> int:
    workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    return sum(1 for sheet in workbook.worksheets for _ in sheet.iter_rows(values_only=True))


def sections(result: Any) -> str:
    if isinstance(result, SourceFailed):
        return f"refused: {result.message[:90]}"
    if isinstance(result, list):
        return f"{sum(len(d.sections) for d in result):,} sections"
    return f"{result:,}"


def row(label: str, took: float, peak: float, result: Any) -> None:
    print(f"  {label:<34} {took:8.2f} s  {peak:8.1f} MB  {sections(result)}")


def compare(data: bytes, filename: str, baseline: str, read: Callable[[bytes], int]) -> None:
    """The streaming loader against a baseline reader on the same bytes, with the ratios."""
    streamed = measure(lambda: load_file(data, filename))
    base = measure(lambda: read(data))
    row("load_file (streaming)", *streamed)
    row(f"{baseline} (baseline)", *base)
    faster, leaner = base[0] / streamed[0], base[1] / streamed[1]
    print(f"  ratio: {faster:.1f}x faster, {leaner:.1f}x less memory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=40_000)
    args = parser.parse_args()

    print("building files...", flush=True)
    document = honest_docx(args.paragraphs)
    workbook = honest_xlsx(args.rows)
    print(f"DOCX {len(document) / MB:.1f} MB, {args.paragraphs:,} paragraphs")
    compare(document, "handbook.docx", "python-docx", python_docx_text)
    print(f"XLSX {len(workbook) / MB:.1f} MB, {args.rows:,} rows")
    compare(workbook, "stock.xlsx", "openpyxl full load", openpyxl_rows)

    bomb = docx_bomb(400 * MB)
    sheet = xlsx_rows(1_000_000)
    print(f"bombs: DOCX {len(bomb) / MB:.2f} MB (400 MB of XML), XLSX {len(sheet) / MB:.1f} MB")
    row("DOCX bomb -> load_file", *measure(lambda: load_file(bomb, "bomb.docx")))
    row("1,000,000-row XLSX -> load_file", *measure(lambda: load_file(sheet, "rows.xlsx")))


if __name__ == "__main__":
    main()
