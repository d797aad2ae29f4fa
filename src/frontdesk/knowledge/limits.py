"""How much one source may cost to read: the caps loaders and chunking stop at."""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.settings import Settings

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-source caps; the defaults equal the Settings defaults (a test keeps them so)."""

    max_unpacked_mb: int = 100
    max_archive_parts: int = 2_000
    max_rows: int = 50_000
    max_pdf_pages: int = 2_000
    max_chunks: int = 50_000

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_unpacked_mb=settings.max_unpacked_mb,
            max_archive_parts=settings.max_archive_parts,
            max_rows=settings.max_rows,
            max_pdf_pages=settings.max_pdf_pages,
            max_chunks=settings.max_chunks,
        )

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_unpacked_mb * MB


DEFAULT_LIMITS = Limits()
