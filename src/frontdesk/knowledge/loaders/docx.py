"""Word documents, read as a stream: sections follow the heading styles, tables become rows.

The document part is parsed one paragraph or table row at a time, so memory holds a single
block however long the document is. Text is read the way python-docx reads it; only
paragraphs and tables directly in the body count. A list paragraph (numbered by its own
properties or by its style, "List Bullet") is written as Markdown writes one, "- item" or
"2. item", with the rest of its list in one block: a list is read as a list, not as lines.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.limits import Limits
from frontdesk.knowledge.loaders._package import main_part, open_package, related, stream_part
from frontdesk.knowledge.loaders._sections import SectionCollector
from frontdesk.knowledge.loaders._text import collapse
from frontdesk.knowledge.loaders._xml import XmlStream

LABEL = "Word (DOCX)"
_CORRUPT = "This does not look like a valid DOCX file (it may be corrupted)."
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_BODY, _P, _TBL, _TR, _TC = (_W + tag for tag in ("body", "p", "tbl", "tr", "tc"))
_R, _T, _BR, _VAL = (_W + tag for tag in ("r", "t", "br", "val"))
# Run content that stands for a character; a w:br is a line break unless it breaks a page.
_RUN_CHARACTERS = {_W + "tab": "\t", _W + "ptab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_MAX_COLUMNS = 1_000  # Word itself stops at 63; a wider grid is a hostile gridSpan
# A list longer than this goes to the collector in several blocks (each still a list).
_MAX_LIST_BLOCK = 200  # items
_MAX_LIST_CHARS = 20_000
_NOT_NUMBERED = "0"  # numId 0: the paragraph takes its style's numbering off


def load_docx(data: bytes, title: str, limits: Limits) -> Document:
    """Split a DOCX at its headings; each row of a table with a header is a section."""
    try:
        package = open_package(data, LABEL, limits)
        body = main_part(package)
        styles = _paragraph_styles(package, body)
        numbering = _numbering(package, body)
        core_title = _core_title(package)
        builder = SectionCollector(LABEL, limits=limits)
        styled_title = _read_body(package, body, styles, _Lists(builder, numbering), builder)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise SourceFailed(_CORRUPT) from exc
    return Document(title=core_title or styled_title or title, sections=builder.finish())


class _Styles:
    """Paragraph styles by id; a paragraph without a known style has the default one.

    A style is a heading by its name ("heading 2"), by its outline level (custom heading
    styles), or by the style it is based on.
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.outline: dict[str, int] = {}  # style id -> heading level from w:outlineLvl
        self.based_on: dict[str, str] = {}
        self.numbered: dict[str, str] = {}  # style id -> the numId its paragraphs take
        self.default = ""
        self.default_id = ""

    def name(self, style_id: str | None) -> str:
        return self.names.get(style_id, self.default) if style_id else self.default

    def level(self, style_id: str | None) -> int:
        """The heading level (1 = top) of a style, 0 for body text."""
        for style in self._lineage(style_id):
            level = _heading_level(self.names.get(style, "")) or self.outline.get(style, 0)
            if level:
                return level
        return 0

    def num_id(self, style_id: str | None) -> str | None:
        """The numbering a style gives its paragraphs ("List Bullet"), None for none."""
        for style in self._lineage(style_id):
            if style in self.numbered:
                return self.numbered[style]
        return None

    def _lineage(self, style_id: str | None) -> Iterator[str]:
        """The style (or the default one) and those it is based on, nearest first."""
        style_id = style_id if style_id in self.names else self.default_id
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            yield style_id
            style_id = self.based_on.get(style_id, "")


def _read_body(
    package: zipfile.ZipFile,
    part: str,
    styles: _Styles,
    lists: _Lists,
    builder: SectionCollector,
) -> str:
    """Feed the body's paragraphs and tables to ``builder``; returns a Title-styled text."""
    stream = XmlStream(stream_part(package, part), [_P, _TR, _TBL], record="paragraph or table row")
    title = ""
    table = _Table(builder)
    for element in stream:
        parent = element.getparent()
        if element.tag == _P and parent is not None and parent.tag == _BODY:
            styled = _paragraph(element, styles, lists, builder)
            title = title or styled
        elif element.tag == _TR and _in_body_table(element):
            lists.end()
            table.add(element)
        elif element.tag == _TBL and parent is not None and parent.tag == _BODY:
            builder.end_table(header=table.header)
            table = _Table(builder)
        elif _in_cell(element):
            continue  # the row it belongs to reads it
        # Content controls and text boxes were never read; free them all the same.
        stream.release(element)
    if stream.root is None or stream.root.tag != _W + "document":
        raise zipfile.BadZipFile("the main part is not a Word document")
    lists.end()
    return title


def _paragraph(
    paragraph: etree._Element, styles: _Styles, lists: _Lists, builder: SectionCollector
) -> str:
    """Add a body paragraph; returns its text when it is styled as the document's title."""
    text = collapse(_text(paragraph))
    if not text:
        return ""
    style_id = _property(paragraph, "pPr", "pStyle")
    if styles.name(style_id).lower() == "title":
        return text
    level = _outline_level(_property(paragraph, "pPr", "outlineLvl")) or styles.level(style_id)
    own = paragraph.find(f"{_W}pPr/{_W}numPr")
    num_id = _property(own, "", "numId") if own is not None else styles.num_id(style_id)
    if level:
        lists.end()
        builder.heading(level, text)
    elif num_id and num_id != _NOT_NUMBERED:
        depth = _property(own, "", "ilvl") if own is not None else None
        lists.item(num_id, int(depth) if depth and depth.isdigit() else 0, text)
    else:
        lists.end()
        builder.add(text)
    return ""


def _text(paragraph: etree._Element) -> str:
    """The paragraph's runs, those inside hyperlinks too, as python-docx reads them."""
    parts: list[str] = []
    for child in paragraph:
        if child.tag == _R:
            _run_text(child, parts)
        elif child.tag == _W + "hyperlink":
            for run in child.iterchildren(_R):
                _run_text(run, parts)
    return "".join(parts)


def _run_text(run: etree._Element, parts: list[str]) -> None:
    for item in run:
        if item.tag == _T:
            parts.append(item.text or "")
        elif item.tag == _BR:
            if item.get(_W + "type", "textWrapping") == "textWrapping":
                parts.append("\n")
        elif item.tag in _RUN_CHARACTERS:
            parts.append(_RUN_CHARACTERS[str(item.tag)])


def _property(element: etree._Element, group: str, name: str) -> str | None:
    """The w:val of a property such as ./w:pPr/w:pStyle (``group`` "": ./w:numId); None
    when it is not set."""
    found = element.find(f"{_W}{group}/{_W}{name}" if group else f"{_W}{name}")
    return found.get(_VAL) if found is not None else None


def _in_body_table(row: etree._Element) -> bool:
    table = row.getparent()
    body = table.getparent() if table is not None else None
    return body is not None and body.tag == _BODY


def _in_cell(element: etree._Element) -> bool:
    return next(element.iterancestors(_TC), None) is not None


def _heading_level(style: str) -> int:
    match = _HEADING_STYLE.match(style.strip())
    return int(match.group(1)) if match else 0


def _outline_level(value: str | None) -> int:
    """w:outlineLvl counts from 0 for the top heading; 9 means body text."""
    return int(value) + 1 if value and value.isdigit() and int(value) < 9 else 0


class _Lists:
    """List paragraphs as they stream past, written as Markdown writes a list.

    Consecutive items go to the collector as one block, so that the lead-in above them and
    their items are read together. Numbers count per list and level as Word counts them:
    from the level's start, going on after an interruption, a deeper level starting over
    under each item above it. A level whose format is a bullet, or unknown, is "- ".
    """

    def __init__(self, builder: SectionCollector, formats: dict[str, dict[int, _Level]]):
        self._builder = builder
        self._formats = formats
        self._counts: dict[tuple[str, int], int] = {}
        self._items: list[str] = []
        self._chars = 0

    def item(self, num_id: str, depth: int, text: str) -> None:
        level = self._formats.get(num_id, {}).get(depth)
        for key in [k for k in self._counts if k[0] == num_id and k[1] > depth]:
            del self._counts[key]  # a deeper level starts over under this item
        if level is None or level.bullet:
            marker = "-"
        else:
            count = self._counts.get((num_id, depth), level.start - 1) + 1
            self._counts[(num_id, depth)] = count
            marker = f"{count}."
        self._items.append(f"{marker} {text}")
        self._chars += len(self._items[-1])
        if len(self._items) >= _MAX_LIST_BLOCK or self._chars >= _MAX_LIST_CHARS:
            self.end()

    def end(self) -> None:
        """The list (if any) ends here: hand its items over."""
        if self._items:
            self._builder.add_text("\n".join(self._items))
            self._items, self._chars = [], 0


@dataclass(frozen=True)
class _Level:
    bullet: bool
    start: int = 1


def _numbering(package: zipfile.ZipFile, body: str) -> dict[str, dict[int, _Level]]:
    """Each list's levels (numId -> level -> format), from the numbering part."""
    parts = [name for name in related(package, body, "numbering") if name in package.NameToInfo]
    if not parts:
        return {}
    abstract: dict[str, dict[int, _Level]] = {}
    lists: dict[str, str] = {}  # numId -> abstractNumId
    stream = XmlStream(
        stream_part(package, parts[0]), [_W + "abstractNum", _W + "num"], record="list"
    )
    for element in stream:
        if element.tag == _W + "abstractNum":
            levels: dict[int, _Level] = {}
            for lvl in element.iterchildren(_W + "lvl"):
                depth = lvl.get(_W + "ilvl", "")
                start = _property(lvl, "", "start") or "1"
                if depth.isdigit() and len(levels) < 10:
                    levels[int(depth)] = _Level(
                        bullet=_property(lvl, "", "numFmt") in (None, "bullet", "none"),
                        start=int(start) if start.isdigit() and len(start) < 6 else 1,
                    )
            abstract[element.get(_W + "abstractNumId", "")] = levels
        elif element.tag == _W + "num":
            lists[element.get(_W + "numId", "")] = _property(element, "", "abstractNumId") or ""
        stream.release(element)
    return {num_id: abstract.get(of, {}) for num_id, of in lists.items()}


class _Table:
    """A body table's rows as they stream past; a vertically merged cell repeats its text.

    Each row goes to the collector as it is read, so a merged cell repeated down many rows
    counts against the text limit row by row, before the table is built.
    """

    def __init__(self, builder: SectionCollector) -> None:
        self.header = False  # the first row names every column it spans
        self._builder = builder
        self._above: dict[int, str] = {}  # grid column -> text of the cell there, row above
        self._first = True

    def add(self, row: etree._Element) -> None:
        cells: dict[int, str] = {}
        texts: dict[int, str] = {}
        column = int(_property(row, "trPr", "gridBefore") or 0)
        complete = True
        for cell in row.iterchildren(_TC):
            span = int(_property(cell, "tcPr", "gridSpan") or 1)
            if column + span > _MAX_COLUMNS or span < 1:
                raise SourceFailed(
                    f"A table in this document is wider than {_MAX_COLUMNS} columns."
                )
            merge = cell.find(f"{_W}tcPr/{_W}vMerge")
            if merge is not None and merge.get(_VAL, "continue") == "continue":
                text = self._above.get(column, "")
            else:
                text = collapse("\n".join(_text(p) for p in cell.iterchildren(_P)))
            texts[column] = text
            if text:
                cells[column] = text
            # A cell spanning several columns counts once; its other columns are blank.
            complete = complete and bool(text) and span == 1
            column += span
        self._above = texts
        if cells and self._first:
            self.header = complete
            self._first = False
        self._builder.table_row(cells)


def _paragraph_styles(package: zipfile.ZipFile, body: str) -> _Styles:
    styles = _Styles()
    parts = [name for name in related(package, body, "styles") if name in package.NameToInfo]
    if not parts:
        return styles
    stream = XmlStream(
        stream_part(package, parts[0]), [_W + "style", _W + "lsdException"], record="style"
    )
    for element in stream:
        # A style without a type is a paragraph style.
        if element.tag == _W + "style" and element.get(_W + "type", "paragraph") == "paragraph":
            name = element.find(_W + "name")
            label = (name.get(_W + "val") if name is not None else None) or ""
            style_id = element.get(_W + "styleId")
            if style_id:
                styles.names[style_id] = label
                outline = element.find(f"{_W}pPr/{_W}outlineLvl")
                if level := _outline_level(outline.get(_VAL) if outline is not None else None):
                    styles.outline[style_id] = level
                based = element.find(_W + "basedOn")
                if based is not None:
                    styles.based_on[style_id] = based.get(_VAL) or ""
                num_id = element.find(f"{_W}pPr/{_W}numPr/{_W}numId")
                if num_id is not None:
                    styles.numbered[style_id] = num_id.get(_VAL) or _NOT_NUMBERED
            if element.get(_W + "default") in ("1", "true", "on"):
                styles.default = label
                styles.default_id = style_id or ""
        stream.release(element)
    return styles


def _core_title(package: zipfile.ZipFile) -> str:
    parts = [n for n in related(package, "", "core-properties") if n in package.NameToInfo]
    if not parts:
        return ""
    for element in XmlStream(stream_part(package, parts[0]), [_DC_TITLE], record="property"):
        return collapse(element.text or "")
    return ""
