"""Tables among a PDF page's lines: lines whose cells line up under a first line's, each
row one section under the column names. A cell wrapped over several lines is joined into
its row, however the row's lines were drawn."""

from __future__ import annotations

from frontdesk.knowledge.loaders._pdf_lines import BULLET, TABLE, Cell, Line
from frontdesk.knowledge.loaders._sections import SectionCollector
from frontdesk.knowledge.loaders._text import collapse

# Ems a table's next line may sit below its lowest line so far; a line opening a row (a
# cell in two columns or more) may sit further: its one-line cells are set at the middle
# of a row whose other cell wraps over many lines.
_ROW_DROP = 3.0
_ROW_OPENING_DROP = 12.0
_MAX_CELL_WORDS = 8  # on average: longer "cells" are columns of prose, not a table
_MAX_COLUMN_NAME_WORDS = 6


def mark_tables(lines: list[Line]) -> None:
    """Mark runs of lines whose cells line up under the first line's as tables, each row
    one line: a cell's text wrapped over several lines is joined into it."""
    index = 0
    while index < len(lines):
        header = lines[index].cells
        end = index + 1
        top = lowest = lines[index].y
        while len(header) >= 2 and end < len(lines):
            taken = 1 if _fits(lines[end], header, top, lowest) else 0
            taken = taken or _first_cell_wrapped(lines, end, header, top, lowest)
            if not taken:
                break
            lowest = min(lowest, *(line.y for line in lines[end : end + taken]))
            end += taken
        if _is_table(lines[index:end]):
            for line in lines[index:end]:
                line.kind = TABLE
                line.cells = [
                    Cell(header[column].x, cell.end, cell.text)
                    for column, cell in zip(_columns(line, header), line.cells, strict=True)
                ]
            rows = _join_wrapped(lines[index:end], header[0].x)
            for number, line in enumerate(rows):
                line.level = 0 if number else 1  # the header opens a table
            lines[index:end] = rows
            index += len(rows)
        else:
            index += 1


def _fits(line: Line, header: list[Cell], top: float, lowest: float) -> bool:
    """A row below the header, each cell lined up with a column of its own, not far below
    the table's lowest line so far. A line may be drawn above the one before it: a row's
    single-line cells are often set at its middle, after or before its wrapped ones."""
    placed = _columns(line, header)
    return (
        line.y < top
        and lowest - line.y <= (_ROW_OPENING_DROP if len(placed) >= 2 else _ROW_DROP) * line.size
        and -1 not in placed
        and placed == sorted(set(placed))
        and (len(placed) >= 2 or placed[0] > 0)  # one cell at the margin is a paragraph
    )


def _first_cell_wrapped(
    lines: list[Line], start: int, header: list[Cell], top: float, lowest: float
) -> int:
    """How many lines from ``start`` hold one first-column cell only, wrapped over them,
    with the row's other cells drawn after them: 0 when they are not that (a paragraph
    at the margin under the table is not)."""
    end = start
    while end < len(lines) and _alone_in_first_column(lines[end], header, top, lowest):
        lowest = min(lowest, lines[end].y)
        end += 1
    rest = lines[end] if end > start and end < len(lines) else None
    if rest is None or not _fits(rest, header, top, lowest) or 0 in _columns(rest, header):
        return 0
    return end - start


def _alone_in_first_column(line: Line, header: list[Cell], top: float, lowest: float) -> bool:
    return (
        len(line.cells) == 1
        and _columns(line, header) == [0]
        and line.y < top
        and 0 < lowest - line.y <= _ROW_DROP * line.size
    )


def _join_wrapped(lines: list[Line], first_column: float) -> list[Line]:
    """The table's rows: each line with a cell in the first column opens one, and a line
    without (a wrapped cell's other lines) joins the row opened last, as a row's cells are
    drawn one after another; so does a first cell's own second line. Each cell's lines
    are joined top to bottom."""
    rows: list[list[Line]] = []
    for line in lines:
        last = rows[-1] if rows else []
        # A first cell alone on its line after a first cell alone on its own goes on it.
        wrapped = len(line.cells) == 1 and all(len(part.cells) == 1 for part in last)
        if not rows or (line.cells[0].x == first_column and not wrapped):
            rows.append([line])
        else:
            rows[-1].append(line)
    for parts in rows:
        cells: dict[float, Cell] = {}
        for part in sorted(parts, key=lambda line: -line.y):
            for cell in part.cells:
                joined = cells.setdefault(cell.x, Cell(cell.x, cell.end, ""))
                joined.text = collapse(f"{joined.text} {cell.text}")
                joined.end = max(joined.end, cell.end)
        parts[0].cells = [cells[x] for x in sorted(cells)]
    return [parts[0] for parts in rows]


def _columns(line: Line, header: list[Cell]) -> list[int]:
    """The header column each cell lines up with, by its start, else its end or centre;
    -1 for none. Ends and centres are guessed from the text's length: they get more room."""
    tight, loose = max(2.0, 0.3 * line.size), 1.5 * line.size
    placed = []
    for cell in line.cells:
        starts = [i for i, name in enumerate(header) if abs(cell.x - name.x) <= tight]
        others = [
            i
            for i, name in enumerate(header)
            if abs(cell.end - name.end) <= loose
            or abs(cell.x + cell.end - name.x - name.end) / 2 <= loose
        ]
        placed.append((starts or others or [-1])[0])
    return placed


def _is_table(lines: list[Line]) -> bool:
    """A header of short names above rows; with one row only, a header in its own font."""
    if len(lines) < 2 or len(lines[0].cells) < 2:
        return False
    names = [cell.text for cell in lines[0].cells]
    if any(
        len(name.split()) > _MAX_COLUMN_NAME_WORDS or BULLET.match(name) or name.endswith(".")
        for name in names
    ):
        return False  # a list set in columns, or prose
    cells = [cell for line in lines for cell in line.cells]
    words = sum(len(cell.text.split()) for cell in cells) / len(cells)
    return words <= _MAX_CELL_WORDS and (len(lines) > 2 or lines[0].style != lines[1].style)


def feed_table(lines: list[Line], collector: SectionCollector, prefix: str) -> None:
    columns = [cell.x for cell in lines[0].cells]
    for line in lines:
        collector.table_row({columns.index(cell.x): cell.text for cell in line.cells})
    collector.end_table(header=True, location_prefix=prefix)
