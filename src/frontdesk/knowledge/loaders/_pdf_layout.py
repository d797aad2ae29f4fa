"""The layout of a PDF's pages: lines rebuilt from runs of text, then tables, headings
and paragraphs found among them and fed to a section collector.

Lines whose cells line up under a first line form a table, one section per row. A block
of short lines set larger or bolder than the body text, without closing punctuation, is a
heading, its level set by its font; when the fonts tell nothing, a short unpunctuated line
standing above a paragraph is one. A gap wider than the line spacing ends a paragraph.
Running headers, footers and page numbers are dropped. Where no heading is found, each
page stays a section of its own.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from frontdesk.knowledge.loaders._sections import MAX_HEADING_CHARS, SectionCollector
from frontdesk.knowledge.loaders._text import collapse, is_question, tidy

# An average character's width in ems: where a run of text ends, when its font's are unknown.
_CHAR_WIDTH = 0.55
_CELL_GAP = 1.2  # ems of blank space between runs that makes them separate cells
# Holding a cell costs memory beyond its characters; it is charged as this many, so a page
# of a million one-letter runs fails against the text limit rather than filling memory.
CELL_COST = 100
_HEADING_SCALE = 1.12  # a heading's font is at least this much larger than the body's
_MAX_HEADING_WORDS = 20
_MAX_PLAIN_HEADING_WORDS = 10  # a heading told only by its shape is shorter still
_PARAGRAPH_GAP = 1.3  # a gap this many times the line spacing ends a paragraph
_MAX_SPACING = 1.3  # times the font size: lines set further apart are paragraphs
_SHORT_LINE = 0.6  # of the page's widest line: a line this short was broken on purpose
# Ems a table's next line may sit below its lowest line so far; a line opening a row (a
# cell in two columns or more) may sit further: its one-line cells are set at the middle
# of a row whose other cell wraps over many lines.
_ROW_DROP = 3.0
_ROW_OPENING_DROP = 12.0
_MAX_CELL_WORDS = 8  # on average: longer "cells" are columns of prose, not a table
_MAX_COLUMN_NAME_WORDS = 6
_REPEATED = 3  # a line at a page's edge on this many pages is a running header or footer
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,3}(?:\s*(?:/|of)\s*\d+)?$", re.IGNORECASE)
_LEADER = re.compile(r"(?:\. ?){4}")  # the dots leading a table of contents to page numbers
_BULLET = re.compile(r"^(?:[-•·–*▪◦]|\d{1,3}[.)])\s")
_CLOSING = (".", ",", ";", ":")  # a line ending so is part of a sentence, not a heading
_SENTENCE_END = (".", "!", "?", ":")
_HEADING = "heading"
_TABLE = "table"


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
    kind: str = ""  # _HEADING or _TABLE once the layout is read
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


class Layout:
    """Finds the tables, headings and paragraphs of a document's pages, then feeds them."""

    def __init__(self, pages: list[list[Line]]) -> None:
        self.pages = pages
        self.title = ""  # the one heading set larger than all others, when page 1 has it
        _drop_furniture(pages)
        for lines in pages:
            _mark_tables(lines)
        text_lines = [line for line in self._lines() if not line.kind]
        self.body_size, self.body_bold = _body_style(text_lines)
        self.spacing = _spacing(text_lines, self.body_size)
        self.structured = self._font_headings(text_lines) or self._plain_headings()

    def feed(self, collector: SectionCollector) -> None:
        blocks = [
            (number, block)
            for number, lines in enumerate(self.pages, start=1)
            for block in self._blocks(lines)
        ]
        widest = [max((len(line.text) for line in lines), default=0) for lines in self.pages]
        for index, (number, block) in enumerate(blocks):
            if collector.place != f"page {number}":
                collector.place = f"page {number}"
                if not self.structured:
                    collector.flush()  # no outline: a section per page, as a reader sees it
            first = block[0]
            if first.kind == _TABLE:
                _feed_table(block, collector, f"page {number}, row")
            elif first.kind == _HEADING and not _bare(blocks, index):
                collector.heading(first.level, " ".join(line.text for line in block))
            else:
                collector.add(tidy(_paragraph(block, widest[number - 1])))

    def _lines(self) -> Iterator[Line]:
        for lines in self.pages:
            yield from lines

    def _blocks(self, lines: list[Line]) -> Iterator[list[Line]]:
        """Runs of lines that belong together: a table, a heading, or a paragraph."""
        block: list[Line] = []
        for line in lines:
            if block and not self._continues(block[-1], line):
                yield block
                block = []
            block.append(line)
        if block:
            yield block

    def _continues(self, above: Line, line: Line) -> bool:
        if above.kind != line.kind or (line.kind == _HEADING and above.level != line.level):
            return False
        if line.kind == _TABLE:
            return not line.level  # level 1 marks the header of the next table
        same_style = line.kind == _HEADING or above.style == line.style
        return 0 < line.gap <= self._break_gap(line) and same_style

    def _break_gap(self, line: Line) -> float:
        return _PARAGRAPH_GAP * max(self.spacing, line.size)

    def _font_headings(self, lines: list[Line]) -> bool:
        """Mark blocks of short lines in a stronger font than the body's as headings."""
        candidates: list[list[Line]] = []
        for block in self._blocks(lines):
            if self._stronger(block[0]) and _reads_as_heading(block, _MAX_HEADING_WORDS):
                candidates.append(block)
        if not self._mark_headings(candidates):
            return False
        top = [block for block in candidates if block[0].level == 1]
        if len(top) == 1 and any(line is top[0][0] for line in self.pages[0]):
            self.title = " ".join(line.text for line in top[0])
        return True

    def _plain_headings(self) -> bool:
        """Mark short unpunctuated lines that stand above a paragraph as headings."""
        candidates = []
        for lines_on_page in self.pages:
            text = [line for line in lines_on_page if not line.kind]
            widest = max((len(line.text) for line in text), default=0)
            for index, line in enumerate(text):
                above = text[index - 1] if index else None
                below = text[index + 1] if index + 1 < len(text) else None
                if (
                    below is not None
                    and _reads_as_heading([line], _MAX_PLAIN_HEADING_WORDS)
                    and not _BULLET.match(line.text)
                    and (line.text[:1].isupper() or line.text[:1].isdigit())
                    and len(line.text) < 0.7 * widest
                    and (
                        above is None
                        or above.text.endswith(_SENTENCE_END)
                        or line.gap > self._break_gap(line)
                    )
                    and _reads_as_paragraph(below)
                ):
                    candidates.append([line])
        return self._mark_headings(candidates)

    def _mark_headings(self, candidates: list[list[Line]]) -> bool:
        """Levels by font, largest first."""
        if not candidates:
            return False
        styles = sorted({block[0].style for block in candidates}, reverse=True)
        for block in candidates:
            for line in block:
                line.kind = _HEADING
                line.level = min(styles.index(block[0].style) + 1, 6)
        return True

    def _stronger(self, line: Line) -> bool:
        return line.size >= self.body_size * _HEADING_SCALE or (
            line.bold and not self.body_bold and line.size >= self.body_size * 0.9
        )


def _bare(blocks: list[tuple[int, list[Line]]], index: int) -> bool:
    """A heading with nothing under it, such as an author's name on a title page: text."""
    level = blocks[index][1][0].level
    following = blocks[index + 1][1][0] if index + 1 < len(blocks) else None
    return following is None or (following.kind == _HEADING and following.level <= level)


def _reads_as_heading(block: list[Line], most_words: int) -> bool:
    text = " ".join(line.text for line in block)
    return (
        len(text.split()) <= most_words
        and len(text) <= MAX_HEADING_CHARS
        and any(char.isalpha() for char in text)
        and not text.endswith(_CLOSING)
        and not _LEADER.search(text)
    )


def _reads_as_paragraph(line: Line) -> bool:
    text = line.text
    return len(text.split()) > _MAX_PLAIN_HEADING_WORDS or text.endswith(_SENTENCE_END)


def _paragraph(lines: list[Line], widest: int) -> str:
    """Wrapped lines joined into one; a line ending well short of the margin was broken on
    purpose (an address, a list item), and a leading question stands above its answer."""
    text = lines[0].text
    for above, line in itertools.pairwise(lines):
        following = line.text
        if (
            _BULLET.match(following)
            or len(above.text) < _SHORT_LINE * widest
            or ("\n" not in text and is_question(text))
        ):
            text += "\n" + following
        elif text.endswith("-") and text[-2:-1].isalpha():
            text += following  # a word hyphenated at the line's end
        else:
            text += " " + following
    return text


def _mark_tables(lines: list[Line]) -> None:
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
                line.kind = _TABLE
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
        len(name.split()) > _MAX_COLUMN_NAME_WORDS or _BULLET.match(name) or name.endswith(".")
        for name in names
    ):
        return False  # a list set in columns, or prose
    cells = [cell for line in lines for cell in line.cells]
    words = sum(len(cell.text.split()) for cell in cells) / len(cells)
    return words <= _MAX_CELL_WORDS and (len(lines) > 2 or lines[0].style != lines[1].style)


def _drop_furniture(pages: list[list[Line]]) -> None:
    """Drop running headers and footers: page numbers, and edge lines many pages repeat."""

    def edges(lines: list[Line]) -> list[Line]:
        if len(lines) < 3:
            return []  # a page of a line or two is all content
        # One cell only: a table's header repeated on every page is content.
        return [
            line
            for line in {id(edge): edge for edge in lines[:2] + lines[-2:]}.values()
            if len(line.cells) == 1
        ]

    def key(line: Line) -> tuple[str, tuple[float, bool]]:
        # The title on page 1 may repeat as a running header, but not in its own font.
        return line.text.casefold(), line.style

    seen = Counter(text for lines in pages for text in {key(line) for line in edges(lines)})
    for lines in pages:
        furniture = {
            id(line)
            for line in edges(lines)
            if _PAGE_NUMBER.match(line.text) or seen[key(line)] >= _REPEATED
        }
        if furniture:
            lines[:] = [line for line in lines if id(line) not in furniture]
            if lines:
                lines[0].gap = math.inf


def _feed_table(lines: list[Line], collector: SectionCollector, prefix: str) -> None:
    columns = [cell.x for cell in lines[0].cells]
    for line in lines:
        collector.table_row({columns.index(cell.x): cell.text for cell in line.cells})
    collector.end_table(header=True, location_prefix=prefix)


def _body_style(lines: list[Line]) -> tuple[float, bool]:
    """The size most of the text is set in, and whether that text is mostly bold."""
    weights: Counter[tuple[float, bool]] = Counter()
    for line in lines:
        weights[line.style] += len(line.text)
    if not weights:
        return 0.0, False
    sizes: Counter[float] = Counter()
    for (size, _), weight in weights.items():
        sizes[size] += weight
    size = sizes.most_common(1)[0][0]
    return size, weights[(size, True)] > weights[(size, False)]


def _spacing(lines: list[Line], body_size: float) -> float:
    """The usual distance between lines of body text: the lower quartile of their gaps.

    Where every paragraph is one line, every gap is a paragraph's: lines are rarely set
    further apart than _MAX_SPACING times their size.
    """
    gaps = sorted(
        line.gap
        for line in lines
        if line.style[0] == body_size and 0 < line.gap < 3 * max(line.size, 1.0)
    )
    usual = gaps[len(gaps) // 4] if gaps else body_size
    return min(usual, _MAX_SPACING * body_size)
