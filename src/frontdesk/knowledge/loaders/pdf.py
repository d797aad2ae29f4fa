"""PDF files through pypdf: one section per page that has text."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document, Section
from frontdesk.knowledge.limits import Limits, TextBudget
from frontdesk.knowledge.loaders._text import collapse, tidy

_LOCKED = "The PDF is password-protected; upload an unlocked copy."
_CORRUPT = "This does not look like a valid PDF file (it may be corrupted)."
_NO_TEXT = "The PDF has no extractable text (is it a scanned image?)"


def load_pdf(data: bytes, title: str, limits: Limits) -> Document:
    """Extract the text of every page; scanned or locked PDFs fail with a clear reason."""
    reader = _open(data)
    # Counting pages reads only the page tree; extracting their text is what costs.
    if len(reader.pages) > limits.max_pdf_pages:
        raise SourceFailed(
            f"The PDF has {len(reader.pages):,} pages, more than the {limits.max_pdf_pages:,} "
            "one source may have (setting FRONTDESK_MAX_PDF_PAGES); split it into smaller files."
        )
    sections = []
    # A form drawn on every page, or many times on one, is stored once but read each time.
    budget = TextBudget(limits)
    try:
        for number, page in enumerate(reader.pages, start=1):
            text = tidy(page.extract_text() or "")
            budget.take(len(text))
            if text:
                sections.append(Section(text=text, location=f"page {number}"))
    except FileNotDecryptedError as exc:
        raise SourceFailed(_LOCKED) from exc
    except PdfReadError as exc:
        raise SourceFailed(_CORRUPT) from exc
    if not sections:
        raise SourceFailed(_NO_TEXT)
    return Document(title=_metadata_title(reader) or title, sections=sections)


def _open(data: bytes) -> PdfReader:
    if b"%PDF" not in data[:1024]:  # readers accept a little junk before the header
        raise SourceFailed(_CORRUPT)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            # Many PDFs carry only an owner password (print/copy limits) and open with "".
            raise SourceFailed(_LOCKED)
        if len(reader.pages) == 0:
            raise SourceFailed(_CORRUPT)
    except DependencyError as exc:
        raise SourceFailed(
            "The PDF uses encryption this server cannot open; upload an unlocked copy."
        ) from exc
    except FileNotDecryptedError as exc:
        raise SourceFailed(_LOCKED) from exc
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise SourceFailed(_CORRUPT) from exc
    return reader


def _metadata_title(reader: PdfReader) -> str:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # Broken metadata must not cost us the text.
        return ""
    title = collapse(str(title or ""))
    # Authoring tools often leave placeholders such as "Untitled" or "Microsoft Word - x.doc".
    if not title or title.lower().startswith(("untitled", "microsoft word")):
        return ""
    return title
