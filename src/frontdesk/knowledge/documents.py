"""What loaders produce and what chunking consumes: documents made of located sections."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A run of text under one heading, page, row or Q&A pair.

    ``atomic`` sections (a table or spreadsheet row, a Q&A pair, an FAQ question with its
    answer) become exactly one chunk each: they are never merged with neighbours and only
    split when far over the size limit.
    """

    text: str
    heading: str = ""
    location: str = ""
    url: str | None = None
    atomic: bool = False


@dataclass
class Document:
    title: str
    sections: list[Section] = field(default_factory=list)
    url: str | None = None

    @property
    def is_empty(self) -> bool:
        return not any(section.text.strip() for section in self.sections)


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it is embedded and stored."""

    text: str
    title: str
    location: str = ""
    url: str | None = None
