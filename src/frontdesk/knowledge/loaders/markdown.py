"""Markdown files: sections at ATX and Setext headings, markup reduced to plain text.

Pipe tables become one section per row; a question on a line of its own ("### Can I…?",
"**Can I…?**") heads a section holding its answer.
"""

from __future__ import annotations

import re

from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.limits import DEFAULT_LIMITS, Limits
from frontdesk.knowledge.loaders._sections import SectionCollector
from frontdesk.knowledge.loaders._text import collapse, decode_text, is_question

# Every pattern here runs in linear time on hostile input: spans are bounded by negated
# classes (no ".+?" that rescans to the end of a long line from every opening marker).
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t](.*))?$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_TABLE_DIVIDER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")
_CELL_BORDER = re.compile(r"(?<!\\)\|")  # a pipe not escaped as \|
# "**Can I pay by card?** Yes, …": a bold question opening a line, the answer after it.
_BOLD_QUESTION = re.compile(r"^ {0,3}(\*\*|__)([^*_]+\?)\1[ \t]*(.*)$")
_OWN_LINE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s|^\s*\|")  # list items, table rows
_CODE_SPAN = re.compile(r"(`+)([^`]+)\1")
_URL = r"\((?:[^()]|\([^()]*\))*\)"  # (url "title"), allowing one level of parentheses
_LABEL = r"\[([^\[\]]*)\]"
# (pattern, replacement) applied in order to text outside code spans.
_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"!{_LABEL}(?:{_URL}|\[[^\[\]]*\])"), ""),  # images are dropped
    (re.compile(rf"{_LABEL}{_URL}"), r"\1"),  # [text](url) -> text
    (re.compile(rf"{_LABEL}\[[^\[\]]*\]"), r"\1"),  # [text][ref] -> text
    (re.compile(r"<((?:https?|mailto):[^<>\s]+)>"), r"\1"),  # autolinks keep the address
    (re.compile(r"</?[A-Za-z][^<>]*>"), ""),  # inline HTML tags
    (re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"), r"\1"),
    (re.compile(r"(?<!\w)__(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__(?!\w)"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)([^_]+?)(?<=\S)_(?!\w)"), r"\1"),  # not snake_case words
    (re.compile(r"\*(?=\S)([^*]+?)(?<=\S)\*"), r"\1"),
    (re.compile(r"~~((?:[^~]|~(?!~))+?)~~"), r"\1"),
)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
# Escaped characters hide in the Private Use Area while the patterns run, then come back.
_HIDDEN = 0xE000
_UNHIDE = {_HIDDEN + ord(char): char for char in "\\`*_{}[]()#+-.!|<>~"}


def load_markdown(data: bytes, title: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Split Markdown at its headings; the first level-1 heading names the document."""
    lines = decode_text(data).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines, front_title = _front_matter(lines)
    collector = SectionCollector("Markdown", limits=limits)
    paragraph: list[str] = []
    code: list[str] = []
    first_h1 = ""

    def end_paragraph() -> None:
        collector.add("\n".join(line for line in paragraph if line))
        paragraph.clear()

    def add_line(text: str, own_line: bool) -> None:
        # Markdown wraps paragraphs freely: a plain line continues the one before it,
        # unless that line is a question opening the paragraph: the answer follows it.
        question = len(paragraph) == 1 and is_question(paragraph[0])
        if paragraph and not own_line and paragraph[-1] and not question:
            paragraph[-1] += " " + text
        else:
            paragraph.append(text)

    def end_code() -> None:
        # Code is kept as written: a line in it is never read as a question.
        collector.add_text("\n".join(line for line in code if line))
        code.clear()

    def heading(level: int, text: str) -> None:
        nonlocal first_h1
        end_paragraph()
        text = collapse(strip_inline(text))
        if text:
            first_h1 = first_h1 or (text if level == 1 else "")
            collector.heading(level, text)

    fence = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        fence_match = _FENCE.match(line)
        if fence:
            if fence_match and fence_match.group(1)[0] == fence[0]:
                fence = ""
                end_code()
            else:
                code.append(line.rstrip())  # Code keeps its lines and indents.
            continue
        if fence_match:
            end_paragraph()
            fence = fence_match.group(1)
            continue
        atx = _ATX.match(line)
        following = lines[index] if index < len(lines) else ""
        if atx:
            heading(len(atx.group(1)), _without_closing_hashes(atx.group(2) or ""))
        elif line.strip() and not paragraph and _SETEXT.match(following):
            heading(1 if following.strip().startswith("=") else 2, line)
            index += 1
        elif not line.strip() or _RULE.match(line):
            end_paragraph()
        elif "|" in line and _TABLE_DIVIDER.match(following):
            end_paragraph()
            index = _table(lines, index - 1, collector)
        elif bold_question := _BOLD_QUESTION.match(line):
            end_paragraph()
            paragraph.append(collapse(strip_inline(bold_question.group(2))))
            answer = _plain_line(bold_question.group(3))
            if answer:
                paragraph.append(answer)
        elif not _REFERENCE.match(line) and not _TABLE_DIVIDER.match(line):
            previous = lines[index - 2] if index >= 2 else ""
            hard_break = previous.endswith(("  ", "\\"))
            text = _plain_line(line)
            if text:
                add_line(text, own_line=hard_break or bool(_OWN_LINE.match(line)))
    end_paragraph()
    end_code()  # a fence left open runs to the end of the file
    return Document(title=front_title or first_h1 or title, sections=collector.finish())


def strip_inline(text: str) -> str:
    """Remove inline Markdown (emphasis, links, images, HTML tags) but keep code spans."""
    parts = _CODE_SPAN.split(text)
    # re.split with two groups yields [text, ticks, code, text, ticks, code, ...].
    result = []
    for position, part in enumerate(parts):
        kind = position % 3
        if kind == 0:
            part = _ESCAPE.sub(lambda match: chr(_HIDDEN + ord(match.group(1))), part)
            for pattern, replacement in _INLINE:
                part = pattern.sub(replacement, part)
            result.append(part.translate(_UNHIDE))
        elif kind == 2:
            result.append(part.strip())
    return "".join(result)


def _table(lines: list[str], start: int, collector: SectionCollector) -> int:
    """Read a pipe table whose header is ``lines[start]``; returns the index after it.

    The rows run to a blank line or a line without a pipe; cells past the header's are
    dropped, as GitHub drops them.
    """
    header, width = _cells(lines[start])
    collector.table_row(header)
    index = start + 2  # past the divider
    while index < len(lines) and lines[index].strip() and "|" in lines[index]:
        cells, _ = _cells(lines[index])
        collector.table_row({column: text for column, text in cells.items() if column < width})
        index += 1
    collector.end_table(header=True)
    return index


def _cells(line: str) -> tuple[dict[int, str], int]:
    """A table line's non-empty cells by column, and how many columns it has."""
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    texts = [collapse(strip_inline(cell)) for cell in _CELL_BORDER.split(line)]
    return {column: text for column, text in enumerate(texts) if text}, len(texts)


def _plain_line(line: str) -> str:
    line = line.rstrip()
    if line.endswith("\\") and not line.endswith("\\\\"):
        line = line[:-1]  # a backslash hard break
    line = re.sub(r"^\s*(?:>\s?)+", "", line)  # blockquote markers
    line = re.sub(r"^\s*[-*+]\s+(?:\[[ xX]\]\s+)?", "- ", line)  # bullets and task boxes
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        cells = [collapse(strip_inline(cell)) for cell in stripped[1:-1].split("|")]
        return " | ".join(cell for cell in cells if cell)
    return collapse(strip_inline(line))


def _without_closing_hashes(text: str) -> str:
    """ "## Hours ##" -> "Hours": a closing run of # counts only after whitespace."""
    text = text.strip()
    bare = text.rstrip("#")
    if not bare or (bare != text and bare[-1] in " \t"):
        return bare.strip()
    return text


def _front_matter(lines: list[str]) -> tuple[list[str], str]:
    """Drop a leading YAML front-matter block, keeping its title if it has one."""
    if not lines or lines[0].strip() != "---":
        return lines, ""
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            title = ""
            for line in lines[1:end]:
                key, _, value = line.partition(":")
                if key.strip().lower() == "title":
                    title = collapse(value.strip().strip("\"'"))
            return lines[end + 1 :], title
    return lines, ""
