"""How a cited source is named to a visitor: its document title and the section or page.

The team sees a citation's full evidence (source name, chunk title, location, passage); a
visitor sees one label such as "Rental policy — Payments, page 2". Internal names never
reach it: a file's extension or underscores, a web page's "| Site name" suffix, "Q&A 3"
(the pair's question is said instead), "row 12" (a row cites its sheet or document) or the
"Knowledge gap: " that names an answered gap's set; nor is a name said twice.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from frontdesk.knowledge.chunking import HEADING_SEPARATOR, TITLE_SEPARATOR

MAX_QUESTION_CHARS = 80
_PAGE = re.compile(r"^(?:page|slide)s?\s+\d", re.I)
_QA = re.compile(r"^Q:\s*(?P<q>.+?)\s+A:\s", re.S)  # the snippet may be on one line
_FILE_NAME = re.compile(r"^[^\s/\\]+\.[A-Za-z0-9]{2,5}$")
_SITE_SUFFIX = " | "
_ACRONYMS = {"faq": "FAQ", "faqs": "FAQs"}  # file names written in lower case
# Names the product gives sources for itself (insights.service.GAP_KEY).
_INTERNAL_PREFIX = re.compile(r"^\s*knowledge gap:\s*", re.I)
# A Q&A set left with its default title is named by the pair's question alone.
_UNNAMED_QA = ("q&a", "source")


def citation_label(title: str, location: str, text: str, source: str) -> str:
    """ "Document — Section, page N" from a chunk's title, location and text."""
    document, _, headings = title.partition(TITLE_SEPARATOR)
    document = _document_name(document) or _document_name(source) or "Source"
    section = headings.split(HEADING_SEPARATOR)[-1].strip() if headings else ""
    asked = _QA.match(text)
    if location.startswith("Q&A") and asked:
        section = _shorten(asked["q"].strip())
        if document.casefold() in _UNNAMED_QA:
            document, section = section, ""
    if _same(section, document):
        section = ""
    label = f"{document}{TITLE_SEPARATOR}{section}" if section else document
    return f"{label}, {location.strip()}" if _PAGE.match(location.strip()) else label


def _same(a: str, b: str) -> bool:
    """The same words, whatever their case and closing punctuation."""
    return a.casefold().rstrip("?.!: ") == b.casefold().rstrip("?.!: ")


def _document_name(name: str) -> str:
    """A title as a visitor reads it: "warranty_and_financing.pdf" -> "Warranty and financing"."""
    name = _INTERNAL_PREFIX.sub("", " ".join(name.split()))
    if "://" in name:  # a web page not fetched yet is named by its address
        return urlsplit(name).hostname or ""
    if _FILE_NAME.match(name):
        name = PurePosixPath(name).stem
    if " " not in name and name.islower():  # a file's name: "service-department"
        name = re.sub(r"[-_]+", " ", name).strip()
    name = name.split(_SITE_SUFFIX)[0].strip()
    if not name.islower():
        return name
    name = " ".join(_ACRONYMS.get(word, word) for word in name.split())
    return name[:1].upper() + name[1:]


def _shorten(text: str) -> str:
    if len(text) <= MAX_QUESTION_CHARS:
        return text
    return text[: MAX_QUESTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
