"""Turn an uploaded or fetched file into Documents, choosing the loader by type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from frontdesk.errors import FrontdeskError, SourceFailed, UnsupportedMedia
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.limits import DEFAULT_LIMITS, Limits
from frontdesk.knowledge.loaders._package import open_package
from frontdesk.knowledge.loaders._text import collapse
from frontdesk.knowledge.loaders.docx import load_docx
from frontdesk.knowledge.loaders.html import load_html
from frontdesk.knowledge.loaders.markdown import load_markdown
from frontdesk.knowledge.loaders.pdf import load_pdf
from frontdesk.knowledge.loaders.qa import load_qa_json, qa_documents
from frontdesk.knowledge.loaders.tabular import load_csv, load_tsv
from frontdesk.knowledge.loaders.text import load_text
from frontdesk.knowledge.loaders.xlsx import load_xlsx

__all__ = ["SUPPORTED_EXTENSIONS", "is_supported", "load_file", "qa_documents"]

Loader = Callable[[bytes, str, Limits], list[Document]]


def _one(load: Callable[[bytes, str, Limits], Document]) -> Loader:
    return lambda data, title, limits: [load(data, title, limits)]


def _small(load: Callable[[bytes, str], Document]) -> Loader:
    # Held whole anyway and repeating nothing: the upload limit bounds their text.
    return lambda data, title, limits: [load(data, title)]


# Extension -> (loader, the format's name as an owner knows it).
_FORMATS: dict[str, tuple[Loader, str]] = {
    ".pdf": (_one(load_pdf), "PDF"),
    ".docx": (_one(load_docx), "Word (DOCX)"),
    ".html": (_one(load_html), "HTML"),
    ".htm": (_one(load_html), "HTML"),
    ".md": (_one(load_markdown), "Markdown"),
    ".markdown": (_one(load_markdown), "Markdown"),
    ".txt": (_small(load_text), "text"),
    ".csv": (_one(load_csv), "CSV"),
    ".tsv": (_one(load_tsv), "TSV"),
    ".xlsx": (_one(load_xlsx), "Excel (XLSX)"),
    ".json": (lambda data, title, limits: load_qa_json(data, title), "JSON"),
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_FORMATS)

_CONTENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "application/json": ".json",
}


def is_supported(filename: str) -> bool:
    """Whether the file's extension names a format we can load."""
    return _extension(filename) in _FORMATS


def load_file(
    data: bytes,
    filename: str,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Document]:
    """Load by extension, else by magic bytes or content type; every failure is readable."""
    if not data:
        raise SourceFailed("The file is empty.")
    extension = _extension(filename)
    kind = extension if extension in _FORMATS else _sniff(data, content_type, extension, limits)
    if kind is None:
        described = f"'{extension}'" if extension else "(no file extension)"
        raise UnsupportedMedia(
            f"Unsupported file type {described}; supported: {', '.join(SUPPORTED_EXTENSIONS)}."
        )
    load, label = _FORMATS[kind]
    try:
        documents = load(data, _title(filename), limits)
    except FrontdeskError:
        raise
    except Exception as exc:  # Parsers raise anything on hostile input; none may escape.
        detail = collapse(str(exc))[:200]
        raise SourceFailed(
            f"Could not read this {label} file; it may be corrupted or use an unsupported "
            f"feature" + (f" ({detail})." if detail else ".")
        ) from exc
    documents = [document for document in documents if not document.is_empty]
    if not documents:
        raise SourceFailed("The file has no text to learn from.")
    return documents


def _extension(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower()


def _title(filename: str) -> str:
    stem = PurePosixPath(filename.replace("\\", "/")).stem
    return collapse(stem.replace("_", " ")) or "Untitled"


def _sniff(data: bytes, content_type: str | None, extension: str, limits: Limits) -> str | None:
    """Recognise a file by its first bytes, then by its declared type."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return ".pdf"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data, limits)
    lowered = head[:256].lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return ".html"
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if declared in _CONTENT_TYPES:
        return _CONTENT_TYPES[declared]
    if not extension and _looks_like_text(data):
        return ".txt"  # Only when nothing says otherwise: ".exe" must not pass as text.
    return None


def _office_kind(data: bytes, limits: Limits) -> str | None:
    try:
        names = set(open_package(data, "ZIP", limits).namelist())
    except FrontdeskError:
        raise  # over a limit: say so rather than call the file unsupported
    except Exception:  # zipfile raises several types on odd archives; none is an Office file
        return None
    if "word/document.xml" in names:
        return ".docx"
    if "xl/workbook.xml" in names:
        return ".xlsx"
    return None


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    return b"\x00" not in sample
