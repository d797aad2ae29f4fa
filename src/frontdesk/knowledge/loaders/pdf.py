"""PDF files through pypdf, split by their layout (see _pdf_layout): headings, paragraphs,
tables. pypdf reports each run of text with its position, font and size."""

from __future__ import annotations

import io
import math
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.limits import Limits, TextBudget
from frontdesk.knowledge.loaders._pdf_layout import Layout
from frontdesk.knowledge.loaders._pdf_lines import Line, PageLines
from frontdesk.knowledge.loaders._sections import SectionCollector
from frontdesk.knowledge.loaders._text import collapse

try:  # pypdf's font metrics: a private module (pypdf >= 6), so its absence is allowed for
    from pypdf.generic._font import Font

    _FONTS: type[Font] | None = Font
except ImportError:  # pragma: no cover - the layout then guesses widths from text lengths
    _FONTS = None

LABEL = "PDF"
_LOCKED = "The PDF is password-protected; upload an unlocked copy."
_CORRUPT = "This does not look like a valid PDF file (it may be corrupted)."
_NO_TEXT = "The PDF has no extractable text (is it a scanned image?)"
_BOLD_FONTS = ("bold", "black", "heavy", "demi")  # as font names spell a bold weight


def load_pdf(data: bytes, title: str, limits: Limits) -> Document:
    """Read every page's text by layout; scanned or locked PDFs fail with a clear reason."""
    reader = _open(data)
    # Counting pages reads only the page tree; extracting their text is what costs.
    if len(reader.pages) > limits.max_pdf_pages:
        raise SourceFailed(
            f"The PDF has {len(reader.pages):,} pages, more than the {limits.max_pdf_pages:,} "
            "one source may have (setting FRONTDESK_MAX_PDF_PAGES); split it into smaller files."
        )
    collector = SectionCollector(LABEL, limits=limits)
    try:
        pages = _read_pages(reader, collector.budget)
    except FileNotDecryptedError as exc:
        raise SourceFailed(_LOCKED) from exc
    except PdfReadError as exc:
        raise SourceFailed(_CORRUPT) from exc
    layout = Layout(pages)
    layout.feed(collector)
    sections = collector.finish()
    if not sections:
        raise SourceFailed(_NO_TEXT)
    return Document(title=_metadata_title(reader) or layout.title or title, sections=sections)


def _read_pages(reader: PdfReader, budget: TextBudget) -> list[list[Line]]:
    """Every page's lines; what they hold is checked against the text limit as it is read."""
    pages = []
    held = 0
    widths = _Widths()
    for page in reader.pages:
        lines = _page_lines(page, PageLines(held), budget, widths)
        pages.append(lines.lines)
        held = lines.held
    return pages


def _page_lines(
    page: PageObject, lines: PageLines, budget: TextBudget, widths: _Widths
) -> PageLines:
    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        m = _multiply(tm, cm)
        height = abs(float(size) * math.hypot(m[2], m[3])) or 1.0
        em = abs(float(size) * math.hypot(m[0], m[1]))  # the font's size across
        for number, part in enumerate(text.split("\n")):
            if number:
                lines.end_line()
            if part.strip():
                width = widths.measure(font, part.strip(), em)
                lines.run(m[4], m[5], height, _is_bold(font), part, width)
        # A form drawn on every page, or many times on one, is stored once but read each
        # time: what it comes to is counted as it comes.
        budget.check(lines.held)

    page.extract_text(visitor_text=visit)
    return lines


def _multiply(tm: Any, cm: Any) -> list[float]:
    """The text matrix in page space: where and how large the text is drawn."""
    a, b, c, d, e, f = (float(value) for value in tm)
    return [
        a * cm[0] + b * cm[2],
        a * cm[1] + b * cm[3],
        c * cm[0] + d * cm[2],
        c * cm[1] + d * cm[3],
        e * cm[0] + f * cm[2] + cm[4],
        e * cm[1] + f * cm[3] + cm[5],
    ]


class _Widths:
    """How wide a run of text is drawn, from its font's glyph widths (pypdf reads them, and
    knows the 14 standard fonts'): where a table cell ends tells it from the next one.

    None when the font's widths are not known for most of the text (a composite font's are
    keyed by glyph, not by character): the layout then guesses from the text's length."""

    _KNOWN = 0.8  # of the characters, for a width measured rather than guessed

    def __init__(self) -> None:
        # Keyed by the font dictionary's id, which is kept alive with its widths.
        self._fonts: dict[int, tuple[Any, dict[str, float] | None]] = {}

    def measure(self, font: Any, text: str, em: float) -> float | None:
        glyphs = self._of(font)
        if not glyphs or not text:
            return None
        known = [glyphs[c] for c in text if c in glyphs]
        if len(known) < self._KNOWN * len(text):
            return None
        average = sum(known) / len(known)
        return (sum(known) + average * (len(text) - len(known))) / 1000 * em

    def _of(self, font: Any) -> dict[str, float] | None:
        if not font:
            return None
        held = self._fonts.get(id(font))
        if held is None:
            held = self._fonts[id(font)] = (font, _glyph_widths(font))
        return held[1]


def _glyph_widths(font: Any) -> dict[str, float] | None:
    """Each character's width in thousandths of an em; None when pypdf cannot tell."""
    if _FONTS is None:
        return None
    try:
        widths = _FONTS.from_font_resource(font.get_object()).character_widths
    except Exception:  # a malformed font: the length is guessed
        return None
    usable = {c: float(w) for c, w in widths.items() if len(c) == 1 and 0 < float(w) < 3000}
    return usable or None


def _is_bold(font: Any) -> bool:
    """Whether a font dictionary names a bold face, or weighs one."""
    if not font:
        return False
    name = str(font.get("/BaseFont", "")).lower()
    descriptor = font.get("/FontDescriptor")
    try:
        weight = float(descriptor.get_object().get("/FontWeight", 0)) if descriptor else 0.0
    except (TypeError, ValueError, AttributeError):
        weight = 0.0
    return weight >= 600 or any(mark in name for mark in _BOLD_FONTS)


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
