"""A PDF page's lines, rebuilt from the runs of text pypdf reports: each line's cells (runs
set apart by a blank wider than a letter or two), its font and its distance from the line
above. The layout (_pdf_layout) reads tables, headings and paragraphs from them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from frontdesk.knowledge.loaders._text import collapse

# An average character's width in ems: where a run of text ends, when its font's are unknown.
_CHAR_WIDTH = 0.55
_CELL_GAP = 1.2  # ems of blank space between runs that makes them separate cells
# Holding a cell costs memory beyond its characters; it is charged as this many, so a page
# of a million one-letter runs fails against the text limit rather than filling memory.
CELL_COST = 100
BULLET = re.compile(r"^(?:[-•·–*▪◦]|\d{1,3}[.)])\s")
HEADING = "heading"
TABLE = "table"


@dataclass(slots=True)
class Cell:
    x: float
    end: float  # where the text is guessed to end
    text: str


@dataclass(slots=True)
class Line:
    y: float
    size: float  # the largest font on the line, as drawn
    bold: bool  # every run on it is bold
    cells: list[Cell] = field(default_factory=list)
    gap: float = math.inf  # down from the line above on the page; inf for the first
    kind: str = ""  # HEADING or TABLE once the layout is read
    level: int = 0  # a heading's level

    @property
    def text(self) -> str:
        return collapse(" ".join(cell.text for cell in self.cells))

    @property
    def style(self) -> tuple[float, bool]:
        return round(self.size * 2) / 2, self.bold


class PageLines:
    """Rebuilds one page's lines from runs of text, in the order they are reported.

    ``held`` counts the characters held for the whole document so far, each cell charged
    CELL_COST more, so that the reader can check it against the text limit run by run.
    """

    def __init__(self, held: int) -> None:
        self.lines: list[Line] = []
        self.held = held
        self._broken = True  # the next run starts a line

    def end_line(self) -> None:
        self._broken = True

    def run(
        self, x: float, y: float, size: float, bold: bool, text: str, width: float | None = None
    ) -> None:
        """Add text drawn at (x, y) in a font of ``size`` points, ``width`` points wide
        (guessed from its length when the font's widths are not known)."""
        line = self.lines[-1] if self.lines else None
        if line is None or self._broken or abs(line.y - y) > max(line.size, size) / 2:
            gap = line.y - y if line is not None else math.inf
            line = Line(y, size, bold, gap=gap)
            self.lines.append(line)
            self._broken = False
        line.size = max(line.size, size)
        line.bold = line.bold and bold
        end = x + (len(text.strip()) * _CHAR_WIDTH * size if width is None else width)
        last = line.cells[-1] if line.cells else None
        if last is not None and x - last.end < _CELL_GAP * size:
            last.text += text
            last.end = max(last.end, end)
            self.held += len(text)
        else:
            line.cells.append(Cell(x, end, text.strip()))
            self.held += len(text) + CELL_COST
