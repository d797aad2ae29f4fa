"""How much one source may cost to read: the caps loaders and chunking stop at."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document
from frontdesk.settings import Settings

MB = 1024 * 1024
ELLIPSIS = "…"


@dataclass(frozen=True)
class Limits:
    """Per-source caps; the defaults equal the Settings defaults (a test keeps them so)."""

    max_unpacked_mb: int = 100
    max_archive_parts: int = 2_000
    max_rows: int = 50_000
    max_pdf_pages: int = 2_000
    max_chunks: int = 50_000
    max_text_mb: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_unpacked_mb=settings.max_unpacked_mb,
            max_archive_parts=settings.max_archive_parts,
            max_rows=settings.max_rows,
            max_pdf_pages=settings.max_pdf_pages,
            max_chunks=settings.max_chunks,
            max_text_mb=settings.max_text_mb,
        )

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_unpacked_mb * MB

    @property
    def max_text_chars(self) -> int:
        return self.max_text_mb * MB


DEFAULT_LIMITS = Limits()


class TextBudget:
    """Counts the characters one source renders to as they are produced; past the cap fails it.

    Loaders count where text multiplies (a column name written into every row, a heading
    path into every section), before it is held, so the source fails before memory grows.
    """

    def __init__(self, limits: Limits) -> None:
        self.limit = limits.max_text_chars
        self.mb = limits.max_text_mb
        self.used = 0

    def take(self, size: int) -> None:
        """Count ``size`` more characters."""
        self.check(size)
        self.used += size

    def check(self, size: int) -> None:
        """Fail if ``size`` more characters would not fit, without counting them."""
        if self.used + size > self.limit:
            raise SourceFailed(
                f"This source comes to more than {self.mb:,} MB of text, the most one source "
                "may (setting FRONTDESK_MAX_TEXT_MB); split it into smaller sources, or shorten "
                "what every row repeats, such as long column names."
            )


def check_text(documents: Iterable[Document], limits: Limits) -> None:
    """Fail a source whose documents, however they were made, hold more text than the cap."""
    budget = TextBudget(limits)
    for document in documents:
        budget.take(len(document.title))
        for section in document.sections:
            budget.take(len(section.heading) + len(section.text))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS
