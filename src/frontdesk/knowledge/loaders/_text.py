"""Text helpers shared by the loaders: decoding bytes and tidying whitespace."""

from __future__ import annotations

import codecs
import re

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BLANK_LINES = re.compile(r"\n[ \t\f\v]*\n\s*")
# Control characters other than tab/newline only confuse search and display.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A list item ("- ", "• ", "3. ") asks its question inside a list, not as a heading of its own.
_LIST_ITEM = re.compile(r"^(?:[-*+•·–]|\d{1,9}[.)])\s")
# FAQ questions are one short sentence; a longer line ending in "?" is prose.
MAX_QUESTION_WORDS = 30
MAX_QUESTION_CHARS = 200


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """Decode bytes: a declared encoding, a BOM, UTF-8, then Windows-1252."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if encoding:
        try:
            return data.decode(encoding, errors="replace")
        except LookupError:
            pass  # An unknown charset label: guess like an undeclared file.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        return data.decode("latin-1")


def collapse(text: str) -> str:
    """Collapse every run of whitespace, newlines included, to one space."""
    return " ".join(text.split())


def tidy(text: str) -> str:
    """Normalise line endings and spaces, keeping lines and single blank lines."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n\n".join(paragraphs(text))


def paragraphs(text: str) -> list[str]:
    """Split on blank lines; each paragraph keeps its lines, each line collapsed."""
    result = []
    for block in _BLANK_LINES.split(text.replace("\r\n", "\n")):
        lines = [collapse(line) for line in block.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            result.append(joined)
    return result


def is_question(line: str) -> bool:
    """Whether a line is a question standing on its own, as FAQs put one above its answer."""
    line = line.strip()
    return (
        line.endswith("?")
        and len(line) <= MAX_QUESTION_CHARS
        and len(line.split()) <= MAX_QUESTION_WORDS
        and any(char.isalpha() for char in line)
        and not _LIST_ITEM.match(line)
    )
