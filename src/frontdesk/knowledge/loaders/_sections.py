"""Collects text blocks, questions and tables into sections that follow a document's outline.

A section is the text under one heading path. Two kinds are atomic, each one chunk that
answers one thing: a question standing alone (a heading ending in "?", or a paragraph
opening with a question line) with the answer under it, up to the next heading or
question; and each data row of a table with a header, rendered like a spreadsheet row.
"""

from __future__ import annotations

from dataclasses import replace

from frontdesk.knowledge.chunking import HEADING_SEPARATOR
from frontdesk.knowledge.documents import Section
from frontdesk.knowledge.limits import DEFAULT_LIMITS, Limits, shorten
from frontdesk.knowledge.loaders._text import is_question
from frontdesk.knowledge.loaders.tabular import Cells, Row, RowBudget, row_sections

# Every section repeats the headings above it; a longer one adds size, not meaning.
MAX_HEADING_CHARS = 200
# A question found in the text sits below every real heading: the next heading closes it.
QUESTION_LEVEL = 99
# Column names are labels; a first row of longer cells is a layout table's content.
MAX_COLUMN_NAME_WORDS = 16


class SectionCollector:
    """Starts a new section at each heading; the heading path keeps the outline above it.

    Text counts against ``budget`` as it is added, each section's heading path once more,
    and table rows against the row limit as they are read.
    """

    def __init__(self, label: str, url: str | None = None, limits: Limits = DEFAULT_LIMITS) -> None:
        self.rows = RowBudget(limits, label)
        self.budget = self.rows.text
        self.sections: list[Section] = []
        self.place = ""  # where the text being read is, such as "page 3"; loaders set it
        self._path: list[tuple[int, str]] = []
        self._url = url
        self._blocks: list[str] = []
        self._location = ""  # where the open section started
        self._table: list[Row] = []
        self._unanswered = False  # a question line opened the section and nothing followed yet

    def heading(self, level: int, text: str, url: str | None = None) -> None:
        """Close the current section and open one under a heading of this level (1 = top)."""
        self.flush()
        self._open(level, text)
        self._url = url
        self._location = self.place

    def add(self, block: str) -> None:
        """Append a paragraph; one opening with a question line starts that question's section."""
        first, _, rest = block.partition("\n")
        if is_question(first):
            self._emit()
            while self._path and self._path[-1][1].endswith("?"):
                self._path.pop()  # the question before it, heading or not, was answered
            self._open(QUESTION_LEVEL, first.strip())
            self._location = self.place
            self._unanswered = True
            block = rest
        self.add_text(block)

    def add_text(self, block: str) -> None:
        """Append a block as it is (code, table lines): nothing in it is read as a question."""
        if block:
            self.budget.take(len(block))
            self._append(block)

    def table_row(self, cells: Cells) -> None:
        """Hold a table row as read; empty rows keep their number, as a reader counts them."""
        self.rows.take()
        self.budget.take(sum(map(len, cells.values())))
        self._table.append((len(self._table) + 1, cells))

    def end_table(self, *, header: bool, location_prefix: str = "row") -> None:
        """Emit the rows held: one section per data row under a header, else lines of text."""
        rows, self._table = self._table, []
        if header and _has_header(rows):
            self._unanswered = False  # the rows answer the question above them
            self._emit()
            heading = self._heading()
            sections = row_sections(
                rows, heading=heading, location_prefix=location_prefix, text=self.budget
            )
            self.sections.extend(replace(s, url=self._url) for s in sections)
            return
        lines = [" | ".join(cells[i] for i in sorted(cells)) for _, cells in rows if cells]
        text = "\n".join(lines)
        # The cells were counted as they were read; only the separators are new.
        self.budget.take(len(text) - sum(len(value) for _, row in rows for value in row.values()))
        self._append(text)

    def flush(self) -> None:
        """Emit the current section if it has text; a heading with no body emits nothing."""
        self._emit()

    def finish(self) -> list[Section]:
        """Flush and return every section collected."""
        if self._table:
            self.end_table(header=False)
        self.flush()
        return self.sections

    def _open(self, level: int, text: str) -> None:
        self._path = [entry for entry in self._path if entry[0] < level]
        self._path.append((level, shorten(text, MAX_HEADING_CHARS)))

    def _append(self, block: str) -> None:
        if block:
            self._location = self._location or self.place
            self._blocks.append(block)
            self._unanswered = False

    def _heading(self) -> str:
        return HEADING_SEPARATOR.join(text for _, text in self._path)

    def _emit(self) -> None:
        if self._unanswered:
            # A question nothing answered is still text someone wrote; keep it.
            self.add_text(self._path[-1][1])
        if self._blocks:
            heading = self._heading()
            self.budget.take(len(heading))
            leaf = self._path[-1][1] if self._path else ""
            self.sections.append(
                Section(
                    text="\n\n".join(self._blocks),
                    heading=heading,
                    location=self._location,
                    url=self._url,
                    atomic=leaf.endswith("?"),
                )
            )
        self._blocks = []
        self._location = ""


def _has_header(rows: list[Row]) -> bool:
    """A header names two columns or more in short labels, above at least one data row."""
    filled = [cells for _, cells in rows if cells]
    return (
        len(filled) >= 2
        and len(filled[0]) >= 2
        and all(len(name.split()) <= MAX_COLUMN_NAME_WORDS for name in filled[0].values())
    )
