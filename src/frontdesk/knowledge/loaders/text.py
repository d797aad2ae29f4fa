"""Plain text files: one section; the chunker does the sizing."""

from __future__ import annotations

from frontdesk.knowledge.documents import Document, Section
from frontdesk.knowledge.loaders._text import decode_text, tidy


def load_text(data: bytes, title: str) -> Document:
    """Decode a text file and keep its blank-line paragraphs in one section."""
    text = tidy(decode_text(data))
    return Document(title=title, sections=[Section(text=text)] if text else [])
