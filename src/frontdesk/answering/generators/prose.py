"""Passages cut into the units an answer is made of, and those units written as plain text.

A passage holds more than sentences: headings kept inline by chunking, lists (bullets,
numbers, or lines under a lead-in that ends with a colon), table rows (pipes from Markdown,
"Column: value; ..." from HTML) and address-like groups of short lines. Each becomes a
unit a visitor can read: a list is one sentence under its lead-in ("To take a test ride you
must: be 18, ..."), a row a sentence of its own (rows.py), a heading only context for
scoring. Every unit records the pieces of the passage it covers, so no piece is said twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from frontdesk.answering.generators.question import Question
from frontdesk.answering.generators.rows import (
    Cell,
    Row,
    end_sentence,
    make_row,
    parse_row,
    row_sentence,
)
from frontdesk.knowledge.text import split_sentences, words

MAX_ITEM_WORDS = 12  # a longer line under a lead-in is prose, unless it ends unpunctuated
MAX_OPEN_ITEM_WORDS = 25
MAX_HEADING_WORDS = 8
LIST_WORDS = 60  # a list says its first items up to this many words; the rest stand alone
MIN_SENTENCE_WORDS = 4  # a shorter sentence ("Yes.") is read with the next one
MIN_ITEM_SENTENCE_WORDS = 6  # a list item this long ending like a sentence is one
_SENTENCE_ENDS = (".", "!", "?")
_MARKER = re.compile(r"^(?:[-*•‣◦▪–]|\(?\d{1,2}[.)])\s+")
_DIVIDER = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_OPEN_END = (".", "!", "?", ":", ";", ",")
_PARENTHESES = re.compile(r"\([^)]*\)")
_COMPOUND = re.compile(r"[,;]|\s—\s")  # an item with parts of its own ("Online — use the form")
_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.[A-Za-z]\.|\b(?:Mr|Mrs|Ms|Dr|St|No|vs|approx)\.)$")
# A line ending in one of these words goes on in the next line.
_CARRIED = {"and", "or", "but", "the", "a", "an", "of", "to", "for", "with", "in", "on", "at", "by"}
_REFERS_BACK = re.compile(
    r"^(?:after that|before that|this|that|these|those|it|its|they|their|them|then|"
    r"otherwise|however|but|also)\b",
    re.I,
)
_SUBJECTS = {
    "we", "you", "our", "your", "it", "its", "they", "their", "there", "the", "a", "an",
    "all", "most", "every", "each", "this", "that", "these", "those", "i", "he", "she",
}  # fmt: skip
# A pointer to text the visitor does not see with the reply.
_ELSEWHERE = re.compile(r"\s*\(\s*see (?:above|below)\s*\)", re.I)
# An answer's opening "Yes."/"No." and its like ("Of course.", "No problem."): said to
# another question than the pair's own, they answer what was not asked.
_YES_NO = re.compile(
    r"^(?:yes|no|yep|nope|sure|of course|certainly|absolutely|definitely|no problem)\b"
    r"(?:[.!]\s+|,\s+)(?=\S)",
    re.I,
)

Kind = Literal["sentence", "list", "row"]
Item = str | Row


@dataclass(frozen=True)
class Line:
    text: str
    paragraph: int
    marked: bool = False  # it had a bullet or a number
    cells: tuple[str, ...] = ()  # a pipe-table row
    row: Row | None = None  # a "Column: value; ..." row inside prose

    @property
    def tabular(self) -> bool:
        return bool(self.cells) or self.row is not None

    @property
    def open(self) -> bool:
        """Does not end like a sentence or a lead-in: a label, an item, an address line."""
        return not self.text.endswith(_OPEN_END)

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Unit:
    """A piece of an answer: a sentence, a list under its lead-in, or a table row."""

    kind: Kind
    text: str  # what scoring reads
    atoms: frozenset[int]  # the pieces of its passage it covers
    lead: str = ""  # a list's lead-in, without its colon
    items: tuple[Item, ...] = ()  # a list's items
    row: Row | None = None  # a table row's cells
    context: str = ""  # the heading above it, for scoring only
    own: str = ""  # an item said apart from its list: it must hold a word of the question


@dataclass
class _Builder:
    units: list[Unit] = field(default_factory=list)
    atoms: int = 0
    heading: str = ""

    def atom(self) -> int:
        self.atoms += 1
        return self.atoms

    def sentences(self, text: str) -> None:
        pending: list[str] = []
        for sentence in sentences(text):
            pending.append(sentence)
            # A question in prose ("Don't have a trailer?") is read with its answer.
            if sum(len(s.split()) for s in pending) >= MIN_SENTENCE_WORDS and not (
                sentence.endswith("?")
            ):
                self._sentence(" ".join(pending))
                pending = []
        if pending:
            self._sentence(" ".join(pending))

    def _sentence(self, text: str) -> None:
        self.units.append(Unit("sentence", text, frozenset({self.atom()}), context=self.heading))

    def table(self, lines: Sequence[Line]) -> None:
        for item in _table_items(lines):
            if isinstance(item, Row):
                atoms = frozenset({self.atom()})
                self.units.append(Unit("row", _plain(item), atoms, row=item, context=self.heading))
            else:
                self._sentence(item)

    def block(self, lead: str, items: Sequence[Item]) -> None:
        """A list: one unit for its first items, one for each item past LIST_WORDS."""
        lead = lead.rstrip(":").strip()
        lead_atom = self.atom()
        counted = len(lead.split())
        head: list[tuple[int, Item]] = []
        for item in items:
            atom = self.atom()
            n = len(_plain(item).split())
            if head and counted + n > LIST_WORDS:
                text = f"{lead} {_plain(item)}"
                alone = frozenset({lead_atom, atom})
                self.units.append(
                    Unit("list", text, alone, lead, (item,), context=self.heading, own=_plain(item))
                )
                continue
            head.append((atom, item))
            counted += n
        text = " ".join([lead, *(_plain(item) for _, item in head)])
        atoms = frozenset({lead_atom, *(atom for atom, _ in head)})
        # Kept ahead of its split-off items: on a tie the whole list answers.
        at = len(self.units) - (len(items) - len(head))
        said = tuple(item for _, item in head)
        self.units.insert(at, Unit("list", text, atoms, lead, said, context=self.heading))


def units(text: str) -> list[Unit]:
    """The units of a passage's text, in reading order."""
    lines = _lines(text)
    out = _Builder()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.tabular:
            end = i + 1
            while end < len(lines) and lines[end].tabular:
                end += 1
            out.table(lines[i:end])
            i = end
        elif _is_heading(lines, i):
            out.heading = line.text
            i += 1
        elif _heads_list(lines, i) and (end := _list_end(lines, i)) > i + 1:
            # "What we don't work on" above its bullets is what the items are said under;
            # above bullets that are sentences each ("Deposit and payment": "- A deposit of
            # 30% is taken when you book."), a heading.
            out.heading = line.text
            items = _table_items(lines[i + 1 : end])
            if all(_is_sentence(item) for item in items):
                for item in items:
                    out.sentences(str(item))
            else:
                out.block(line.text, items)
            i = end
        elif not line.marked and line.text.endswith(":") and (end := _list_end(lines, i)) > i + 1:
            *before, lead = sentences(line.text)
            out.sentences(" ".join(before))
            out.block(lead, _table_items(lines[i + 1 : end]))
            i = end
        elif (end := _group_end(lines, i)) > i + 1:
            out.block("", [other.text for other in lines[i:end]])
            i = end
        else:
            out.sentences(line.text)
            i += 1
    return out.units


def sentences(text: str) -> list[str]:
    """Sentences, not split after an abbreviation: "by 2:00 p.m. Central Time" stays whole."""
    out: list[str] = []
    for sentence in split_sentences(text):
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out


def render(unit: Unit, question: Question) -> str:
    """The unit as the visitor reads it: plain sentences, no markers, pipes or dumps."""
    if unit.row is not None:
        return row_sentence(unit.row, question)
    if unit.kind == "list":
        if _steps(unit.items):  # "Call us. Bring proof of purchase.": said as they are
            listed = " ".join(end_sentence(str(item)) for item in unit.items)
        else:
            listed = _join([_inline(item, question) for item in unit.items])
        return end_sentence(_ELSEWHERE.sub("", f"{unit.lead}: {listed}" if unit.lead else listed))
    return end_sentence(_ELSEWHERE.sub("", unit.text))


def drop_yes_no(text: str) -> str:
    """An answer without its opening "Yes."/"No." (or "Of course."), for when it answered
    another question.

    "No, we don't ship." keeps its clause; "Yes, on parts only." needs the question it
    answered, so that sentence goes."""
    match = _YES_NO.match(text)
    if not match:
        return text
    rest = text[match.end() :]
    if match[0].rstrip().endswith(",") and words(rest)[:1] and words(rest)[0] not in _SUBJECTS:
        rest = " ".join(sentences(rest)[1:])
    return rest[:1].upper() + rest[1:]


def refers_back(text: str) -> bool:
    """Opens by pointing at what came before ("After that, ...", "This ..."): not alone."""
    return bool(_REFERS_BACK.match(text))


def near_duplicate(a: str, b: str) -> bool:
    """Same words, or one's words nearly all inside the other's: saying both repeats."""
    x, y = set(words(a)), set(words(b))
    if not x or not y:
        return x == y
    shared = len(x & y)
    return shared / len(x | y) >= 0.8 or shared / min(len(x), len(y)) >= 0.9


def _lines(text: str) -> list[Line]:
    """The text's lines, a line wrapped mid-phrase (as PDFs break them) joined up again."""
    out: list[Line] = []
    for line in _raw_lines(text):
        previous = out[-1] if out else None
        if previous is not None and _continues(previous, line):
            out[-1] = Line(f"{previous.text} {line.text}", previous.paragraph, previous.marked)
        else:
            out.append(line)
    return out


def _continues(line: Line, after: Line) -> bool:
    """``after`` goes on with ``line``'s phrase: "..., and" / "$1,000 per bike", "(Northfork" /
    "Summit 29)", or a long line / "lower-case words"."""
    if line.tabular or after.tabular or after.marked or not line.open:
        return False
    last = line.text.split()[-1].lower()
    return (
        last in _CARRIED
        or line.text.count("(") > line.text.count(")")
        or (after.text[:1].islower() and line.words > MAX_ITEM_WORDS)
    )


def _raw_lines(text: str) -> Iterator[Line]:
    paragraph = 0
    blank = False
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            paragraph += not blank
            blank = True
            continue
        blank = False
        if _DIVIDER.match(line):
            continue
        marker = _MARKER.match(line)
        if marker:
            line = line[marker.end() :].strip()
        cells = tuple(c.strip() for c in line.strip("|").split("|")) if "|" in line else ()
        if sum(bool(c) for c in cells) >= 2:
            yield Line(line, paragraph, bool(marker), cells=cells)
        elif row := parse_row(line, strict=True):
            yield Line(line, paragraph, bool(marker), row=row)
        else:
            yield Line(line, paragraph, bool(marker))


def _is_heading(lines: Sequence[Line], i: int) -> bool:
    """A short label on its own line above a sentence: "Service hours", "Deposit"."""
    line = lines[i]
    if line.marked or not line.open or line.words > MAX_HEADING_WORDS:
        return False
    if i + 1 == len(lines):
        return True
    after = lines[i + 1]
    return (
        not after.tabular and not after.marked and (not after.open or after.words > MAX_ITEM_WORDS)
    )


def _heads_list(lines: Sequence[Line], i: int) -> bool:
    """A short label on its own line above a bulleted list: its lead-in."""
    line = lines[i]
    return (
        not line.marked
        and line.open
        and line.words <= MAX_HEADING_WORDS
        and i + 1 < len(lines)
        and lines[i + 1].marked
        and not lines[i + 1].tabular
    )


def _list_end(lines: Sequence[Line], lead: int) -> int:
    """Where the list under the lead-in at ``lead`` ends (``lead + 1`` when there is none)."""
    end = lead + 1
    if end == len(lines) or lines[end].paragraph > lines[lead].paragraph + 1:
        return end
    paragraph = lines[end].paragraph
    while end < len(lines) and _is_item(lines[end]):
        if lines[end].paragraph != paragraph and not (lines[end].marked and lines[end - 1].marked):
            break
        paragraph = lines[end].paragraph
        end += 1
    return end


def _is_item(line: Line) -> bool:
    limit = MAX_OPEN_ITEM_WORDS if line.open else MAX_ITEM_WORDS
    return line.marked or line.tabular or line.words <= limit


def _group_end(lines: Sequence[Line], start: int) -> int:
    """Short unpunctuated lines of one paragraph (an address, contact lines) read together."""
    end = start
    while (
        end < len(lines)
        and lines[end].paragraph == lines[start].paragraph
        and not lines[end].marked
        and not lines[end].tabular
        and lines[end].open
        and lines[end].words <= MAX_ITEM_WORDS
    ):
        end += 1
    return end


def _is_sentence(item: Item) -> bool:
    """A list item that is a whole sentence of its own, not a name or a phrase."""
    return (
        isinstance(item, str)
        and item.endswith(_SENTENCE_ENDS)
        and len(item.split()) >= MIN_ITEM_SENTENCE_WORDS
    )


def _steps(items: Sequence[Item]) -> bool:
    """Items that are sentences each, however short ("Bring proof of purchase."): joined
    into one sentence their capitals would stand mid-sentence ("call us, Bring proof")."""
    return len(items) > 1 and all(
        isinstance(item, str) and item[:1].isupper() and item.rstrip().endswith(_SENTENCE_ENDS)
        for item in items
    )


def _table_items(lines: Sequence[Line]) -> list[Item]:
    """Lines as list items; pipe rows under a header row become Rows named by it."""
    header: tuple[str, ...] = ()
    first = lines[0] if lines else None
    if (
        first is not None
        and first.cells
        and len(lines) > 1
        and len(lines[1].cells) == len(first.cells)
        and not any(ch.isdigit() for ch in first.text)
    ):
        header, lines = first.cells, lines[1:]
    items: list[Item] = []
    for line in lines:
        if line.row is not None:
            items.append(line.row)
        elif line.cells and header and len(line.cells) == len(header):
            items.append(
                make_row([Cell(h, c) for h, c in zip(header, line.cells, strict=True) if c])
            )
        elif line.cells:
            name, *rest = [c for c in line.cells if c]
            items.append(f"{name}: {', '.join(rest)}")
        else:
            items.append(line.text)
    return items


def _plain(item: Item) -> str:
    if isinstance(item, Row):
        return "; ".join(f"{c.column}: {c.value}" for c in item.cells)
    return item


def _inline(item: Item, question: Question) -> str:
    """An item inside a sentence: its own full stop dropped, an abbreviation's kept."""
    text = (row_sentence(item, question) if isinstance(item, Row) else item).strip()
    if not _ABBREVIATION.search(text):
        text = text.rstrip(".")
    return text.rstrip(";,").rstrip()


def _join(items: Sequence[str]) -> str:
    """Items as one sentence: "a, b and c" when they are short and simple, else "a; b; c"."""
    if len(items) == 1:
        return items[0]
    if any(_COMPOUND.search(_PARENTHESES.sub("", item)) or len(item.split()) > 8 for item in items):
        return "; ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
