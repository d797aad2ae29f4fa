"""HTML pages through selectolax: main content only, sections at h1–h4, plus the links.

A table with a header row becomes one section per row; a question standing alone (a
heading, a <dt>, a <summary>, a bold lead-in or a paragraph's first line) heads a section
holding its answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.limits import DEFAULT_LIMITS, Limits
from frontdesk.knowledge.loaders._sections import SectionCollector
from frontdesk.knowledge.loaders._text import collapse, decode_text, is_question

_BOILERPLATE = ", ".join(
    [
        "script, style, noscript, nav, footer, aside, form, svg, iframe, template",
        # Not [hidden]: collapsed FAQ answers are hidden until clicked, and they matter.
        "object, embed, canvas",
        "[role=navigation], [role=banner], [role=contentinfo], [role=search]",
        # Menu classes are matched as whole words: "menu" alone may be a restaurant's menu.
        "[class~=navbar], [class~=nav-menu], [class~=main-menu], [class~=mobile-menu]",
        "[class~=site-menu], [class~=menu-toggle], [class~=skip-link], [class~=breadcrumb]",
        "[class~=breadcrumbs], [id=navbar], [id=main-menu], [id=mobile-menu]",
    ]
)
# Banners are matched loosely, so only small matches go: a wrapper whose class merely
# mentions cookies (it holds most of the page), or a long cookie policy, stays.
_BANNERS = "[class*=cookie], [id*=cookie], [class*=consent], [id*=consent], [class*=gdpr]"
_BANNER_MAX_WORDS = 120
# Links drawn as buttons ("Choose Solo Plus", "Book now") say what to click, not a fact.
# One holding a number (a phone, a price) stays, as the page may say it nowhere else, and so
# does one that asks (a collapsed FAQ's question); <button> itself is such a toggle often.
_ACTIONS = "a[role=button], a[class~=button], a[class~=btn], a[class~=cta]"
_MAIN = ("main", "[role=main]", "article")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
# Elements that end a line; the ones in _PARAGRAPHS also leave a blank line after them.
_PARAGRAPHS = {
    "p", "div", "section", "article", "main", "ul", "ol", "dl", "table", "blockquote",
    "pre", "h5", "h6", "figure", "address", "details", "fieldset",
}  # fmt: skip
_LINES = {"li", "dd", "br", "hr", "figcaption", "caption", "option"}
# They open a new block whose first line they are: "Question?\nAnswer" when they ask one.
_LEADS = {"dt", "summary"}
_BOLD = {"strong", "b"}
_MAX_COLUMNS = 1_000  # a colspan beyond this is hostile, not a table
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def load_html(data: bytes, title: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Load an uploaded HTML file; relative links are meaningless without a URL."""
    document, _ = parse_html(decode_html(data), None, fallback_title=title, limits=limits)
    return document


def decode_html(data: bytes, charset: str | None = None) -> str:
    """Decode with the HTTP charset, else the page's own <meta charset>, else by guessing."""
    if not charset:
        match = _META_CHARSET.search(data[:4096])
        charset = match.group(1).decode("ascii") if match else None
    return decode_text(data, charset)


def parse_html(
    html: str,
    url: str | None,
    *,
    fallback_title: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Document, list[str]]:
    """Turn a page into a Document and list the absolute http(s) links found on it."""
    tree = LexborHTMLParser(html)
    links = _links(tree, url)
    title = _title(tree) or fallback_title or _title_from_url(url)
    root = _content_root(tree)
    if root is None:
        return Document(title=title, url=url), links
    _strip_boilerplate(root)
    builder = _SectionBuilder(url, limits)
    _walk(root, builder)
    return Document(title=title, sections=builder.finish(), url=url), links


class _SectionBuilder(SectionCollector):
    """Adds inline text and line/paragraph breaks on top of the heading outline."""

    def __init__(self, url: str | None, limits: Limits) -> None:
        super().__init__("HTML", url, limits)
        self.page_url = url
        self.lines: list[str] = []
        self.inline: list[str] = []

    def text(self, value: str) -> None:
        self.inline.append(value)

    def end_line(self) -> None:
        line = collapse("".join(self.inline))
        if line:
            self.lines.append(line)
        self.inline = []

    def end_paragraph(self) -> None:
        self.end_line()
        block = "\n".join(self.lines)
        self.lines = []
        self.add(block)

    def at_line_start(self) -> bool:
        return not "".join(self.inline).strip()

    def open_heading(self, level: int, text: str, anchor: str | None) -> None:
        self.end_paragraph()
        url = self.page_url
        if url and anchor:
            url = f"{urldefrag(url).url}#{anchor}"
        self.heading(level, text, url)

    def flush(self) -> None:
        self.end_paragraph()
        super().flush()


def _walk(root: LexborNode, builder: _SectionBuilder) -> None:
    # Iterative on purpose: deeply nested markup would exhaust Python's recursion limit.
    # A plain string on the stack is the tag of a block element to close.
    stack: list[LexborNode | str] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            _close(node, builder)
        elif node.is_text_node:
            builder.text(node.text_content or "")
        elif node.is_element_node:
            _open(node, builder, stack)


def _open(node: LexborNode, builder: _SectionBuilder, stack: list[LexborNode | str]) -> None:
    tag = node.tag or ""
    if tag in _HEADINGS:
        text = collapse(node.text(separator=" "))
        if text:
            builder.open_heading(_HEADINGS[tag], text, node.attributes.get("id"))
    elif tag == "table":
        builder.end_paragraph()
        _table(node, builder)
    elif tag == "pre":
        builder.end_paragraph()
        builder.add_text("\n".join(filter(None, map(collapse, node.text().splitlines()))))
    else:
        if tag in _LEADS:
            builder.end_paragraph()
            stack.append("br")  # the answer starts on the next line
        elif tag in _PARAGRAPHS or tag in _LINES:
            builder.end_line()
            stack.append(tag)
        elif tag in _BOLD and builder.at_line_start() and is_question(node.text()):
            stack.append("br")  # "<b>Can I…?</b> Yes, …": the answer starts on the next line
        stack.extend(reversed(list(_children(node))))


def _table(table: LexborNode, builder: _SectionBuilder) -> None:
    """Read the rows; a first row of <th> cells, or one in <thead>, names the columns."""
    header = False
    first = True
    for row in table.css("tr"):
        if _nearest_table(row) != table.mem_id:
            continue  # A nested table's rows are already part of its cell's text.
        cells = [node for node in _children(row) if node.tag in ("td", "th")]
        if first and cells:
            in_head = row.parent is not None and row.parent.tag == "thead"
            header = in_head or all(cell.tag == "th" for cell in cells)
            first = False
        builder.table_row(_cells(cells))
    builder.end_table(header=header)


def _cells(cells: list[LexborNode]) -> dict[int, str]:
    """Cell texts by column; a cell spanning columns takes the first of them."""
    texts = {}
    column = 0
    for cell in cells:
        text = collapse(cell.text(separator=" "))
        if text:
            texts[column] = text
        span = (cell.attributes.get("colspan") or "").strip()
        # int() refuses a string of thousands of digits; no real span has more than four.
        column += min(max(int(span), 1), _MAX_COLUMNS) if span.isdigit() and len(span) <= 4 else 1
    return texts


def _nearest_table(node: LexborNode) -> int | None:
    parent = node.parent
    while parent is not None and parent.tag != "table":
        parent = parent.parent
    return parent.mem_id if parent is not None else None


def _close(tag: str, builder: _SectionBuilder) -> None:
    if tag in _PARAGRAPHS:
        builder.end_paragraph()
    else:
        builder.end_line()


def _children(node: LexborNode) -> Iterator[LexborNode]:
    child = node.child
    while child is not None:
        yield child
        child = child.next


def _strip_boilerplate(root: LexborNode) -> None:
    doomed = list(root.css(_BOILERPLATE))
    page_words = _words(root)
    doomed += [
        node
        for node in root.css(_BANNERS)
        if _words(node) <= min(_BANNER_MAX_WORDS, page_words // 2)
    ]
    doomed += [node for node in root.css(_ACTIONS) if _only_an_action(node.text())]
    # An article's own <header> holds its title and byline, so only other headers go.
    doomed += [node for node in root.css("header") if not _inside_article(node)]
    # css() also matches the root itself (say <body class="cookies-accepted">); it stays.
    doomed = [node for node in doomed if node.mem_id != root.mem_id]
    ids = {node.mem_id for node in doomed}
    # Decompose only the outermost matches: destroying a parent frees its descendants,
    # and touching a freed node afterwards would crash the interpreter.
    for node in [node for node in doomed if not _has_ancestor_in(node, ids)]:
        node.decompose()


def _only_an_action(text: str) -> bool:
    return not any(c.isdigit() for c in text) and not is_question(collapse(text))


def _words(node: LexborNode) -> int:
    return len(node.text(separator=" ").split())


def _has_ancestor_in(node: LexborNode, ids: set[int]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def _content_root(tree: LexborHTMLParser) -> LexborNode | None:
    for selector in _MAIN:
        matches = tree.css(selector)
        # Several <article>s make a listing page, not one main article.
        if matches and (selector != "article" or len(matches) == 1):
            return matches[0]
    return tree.body or tree.root


def _inside_article(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "article":
            return True
        parent = parent.parent
    return False


def _title(tree: LexborHTMLParser) -> str:
    for selector in ("title", "h1"):
        node = tree.css_first(selector)
        if node is not None:
            text = collapse(node.text(separator=" "))
            if text:
                return text
    return ""


def _title_from_url(url: str | None) -> str:
    if not url:
        return "Untitled page"
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return segment or parts.hostname or "Untitled page"


def _links(tree: LexborHTMLParser, url: str | None) -> list[str]:
    base = url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = urljoin(url or "", base_node.attributes.get("href") or "")
    found: dict[str, None] = {}
    for anchor in tree.css("a[href], area[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href:
            continue
        absolute = urldefrag(urljoin(base or "", href)).url
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.hostname:
            found.setdefault(absolute)
    return list(found)
