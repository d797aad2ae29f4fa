"""Collects text blocks into sections that follow a document's heading outline."""

from __future__ import annotations

from frontdesk.knowledge.chunking import HEADING_SEPARATOR
from frontdesk.knowledge.documents import Section
from frontdesk.knowledge.limits import DEFAULT_LIMITS, Limits, TextBudget, shorten

# Every section repeats the headings above it; a longer one adds size, not meaning.
MAX_HEADING_CHARS = 200


class SectionCollector:
    """Starts a new section at each heading; the heading path keeps the outline above it.

    Text counts against ``budget`` as it is added, and each section's heading path once more.
    """

    def __init__(self, url: str | None = None, limits: Limits = DEFAULT_LIMITS) -> None:
        self.budget = TextBudget(limits)
        self.sections: list[Section] = []
        self._path: list[tuple[int, str]] = []
        self._url = url
        self._blocks: list[str] = []

    def heading(self, level: int, text: str, url: str | None = None) -> None:
        """Close the current section and open one under a heading of this level (1 = top)."""
        self.flush()
        self._path = [entry for entry in self._path if entry[0] < level]
        self._path.append((level, shorten(text, MAX_HEADING_CHARS)))
        self._url = url

    def add(self, block: str) -> None:
        """Append a paragraph (or a run of lines) to the current section."""
        if block:
            self.budget.take(len(block))
            self._blocks.append(block)

    def flush(self) -> None:
        """Emit the current section if it has text; a heading with no body emits nothing."""
        if self._blocks:
            heading = HEADING_SEPARATOR.join(text for _, text in self._path)
            self.budget.take(len(heading))
            text = "\n\n".join(self._blocks)
            self.sections.append(Section(text=text, heading=heading, url=self._url))
        self._blocks = []

    def finish(self) -> list[Section]:
        """Flush and return every section collected."""
        self.flush()
        return self.sections
