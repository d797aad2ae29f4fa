"""The layout of a PDF's pages: tables (_pdf_tables), headings and paragraphs found among
their lines (_pdf_lines) and fed to a section collector.

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

from frontdesk.knowledge.loaders._pdf_lines import BULLET, HEADING, TABLE, Line
from frontdesk.knowledge.loaders._pdf_tables import feed_table, mark_tables
from frontdesk.knowledge.loaders._sections import MAX_HEADING_CHARS, SectionCollector
from frontdesk.knowledge.loaders._text import is_question, tidy

_HEADING_SCALE = 1.12  # a heading's font is at least this much larger than the body's
_MAX_HEADING_WORDS = 20
_MAX_PLAIN_HEADING_WORDS = 10  # a heading told only by its shape is shorter still
_PARAGRAPH_GAP = 1.3  # a gap this many times the line spacing ends a paragraph
_MAX_SPACING = 1.3  # times the font size: lines set further apart are paragraphs
_SHORT_LINE = 0.6  # of the page's widest line: a line this short was broken on purpose
_REPEATED = 3  # a line at a page's edge on this many pages is a running header or footer
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,3}(?:\s*(?:/|of)\s*\d+)?$", re.IGNORECASE)
_LEADER = re.compile(r"(?:\. ?){4}")  # the dots leading a table of contents to page numbers
_CLOSING = (".", ",", ";", ":")  # a line ending so is part of a sentence, not a heading
_SENTENCE_END = (".", "!", "?", ":")


class Layout:
    """Finds the tables, headings and paragraphs of a document's pages, then feeds them."""

    def __init__(self, pages: list[list[Line]]) -> None:
        self.pages = pages
        self.title = ""  # the one heading set larger than all others, when page 1 has it
        _drop_furniture(pages)
        for lines in pages:
            mark_tables(lines)
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
            if first.kind == TABLE:
                feed_table(block, collector, f"page {number}, row")
            elif first.kind == HEADING and not _bare(blocks, index):
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
        if above.kind != line.kind or (line.kind == HEADING and above.level != line.level):
            return False
        if line.kind == TABLE:
            return not line.level  # level 1 marks the header of the next table
        same_style = line.kind == HEADING or above.style == line.style
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
                    and not BULLET.match(line.text)
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
                line.kind = HEADING
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
    return following is None or (following.kind == HEADING and following.level <= level)


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
            BULLET.match(following)
            or len(above.text) < _SHORT_LINE * widest
            or ("\n" not in text and is_question(text))
        ):
            text += "\n" + following
        elif text.endswith("-") and text[-2:-1].isalpha():
            text += following  # a word hyphenated at the line's end
        else:
            text += " " + following
    return text


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
