"""Table rows as a visitor reads them: the rows a question names, written as sentences.

A spreadsheet row arrives as "Column: value; Column: value" (knowledge/loaders/tabular.py).
Said back as it is, it reads like a database dump, so a row becomes a sentence: the cell
that names the row (a Name/Model/Product... column, else the first text column) is the
subject, the cells the question asks about follow it, and a few other short cells go in
parentheses. Only the row's own words are used; the only added word is a verb for a column
whose kind is known ("costs" for a price column, "is" for a status column).

Which rows: a row whose whole name the question says beats one that only shares part of it,
and of two named rows the longer name wins where the question says it ("Glacier 850 Touring"
answers a question about the Touring; "Glacier 850" one that names only that). One row
answers, unless the question asks for a list or a comparison.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from frontdesk.answering.generators.question import Question, tokens
from frontdesk.knowledge.text import stems

MAX_ROWS = 4
MAX_SAID = 3  # cells in the main clause
MAX_EXTRAS = 3  # other cells in parentheses
SHORT_VALUE_WORDS = 6
SHORT_VALUE_CHARS = 40
_PAIR = re.compile(r"^(?P<key>[^:;\n]{1,100}?):\s+(?P<value>\S.*)$", re.S)
_NAME_WORDS = {
    "name", "model", "product", "item", "plan", "service", "room", "course", "title",
    "package", "treatment", "class", "program", "vehicle", "machine", "tour", "event",
}  # fmt: skip
_ID_COLUMN = re.compile(r"#|\b(?:id|sku|code|no|number|ref)\b", re.I)
_TEXT = re.compile(r"[^\W\d_]{3,}")
_CURRENCY = re.compile(r"[$€£¥]\s?\d|\d\s?(?:USD|EUR|GBP|CAD|AUD)\b")
_CLOCK = re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:a\.?m\.?|p\.?m\.?)|\b\d{1,2}:\d{2}\b", re.I)
_PARENTHESES = re.compile(r"\([^)]*\)")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
# A cell that says no to its column: "Dogs allowed: No", "Parking: none", "Delivery: n/a".
_NEGATIVE = re.compile(
    r"^\s*(?:no|none|n/?a|not (?:available|allowed|accepted|offered|included)|[-–—✗×])"
    r"\s*(?:[.,;(]|$)",
    re.I,
)
# Column-name stems -> the kind of fact the column holds (question.py names the same kinds).
_COLUMN_KINDS = {
    "price": {"price", "cost", "fee", "rate", "msrp", "amount", "charg", "deposit", "tuition"},
    "time": {"date", "time", "day", "hour", "schedul", "open", "start", "end", "readi"},
    "duration": {"durat", "length", "notic", "minut", "week", "term"},
    "place": {"locat", "address", "place", "venu", "citi", "where"},
    "status": {"status", "avail", "stock"},
    "size": {"size", "area", "sq", "dimens"},
}
# A column named only by these words takes a verb: "Price: $12" -> "costs $12".
_VERBS = {
    "costs": {"price", "cost", "fee", "rate", "msrp", "amount", "charg", "tuition"},
    "is": {"status", "avail", "stock"},
}
_COUNTS = {2: "two", 3: "three", 4: "four"}
_PLURAL_VERBS = {"costs": "cost", "is": "are"}


@dataclass(frozen=True)
class Cell:
    column: str
    value: str

    @cached_property
    def kinds(self) -> frozenset[str]:
        if _ID_COLUMN.search(self.column):
            return frozenset()
        named = set(stems(_PARENTHESES.sub("", self.column)))
        kinds = {kind for kind, cues in _COLUMN_KINDS.items() if cues & named}
        if _CURRENCY.search(self.value):
            kinds.add("price")
        if _CLOCK.search(self.value):
            kinds.add("time")
        return frozenset(kinds)

    @property
    def short(self) -> bool:
        return len(self.value) <= SHORT_VALUE_CHARS and len(self.value.split()) <= SHORT_VALUE_WORDS

    def phrase(self) -> str:
        """ "Minimum Notice: 3 days" -> "minimum notice 3 days"; acronyms keep their case."""
        column = _CAPITALISED.sub(lambda m: m[0].lower(), self.column)
        return f"{column} {self.value}"

    def verb(self) -> str | None:
        """The verb a column named by one kind alone takes ("Price: $12" -> "costs $12")."""
        if _ID_COLUMN.search(self.column):
            return None
        named = set(tokens(_PARENTHESES.sub("", self.column)))
        for verb, cues in _VERBS.items():
            if named and named <= cues and (verb != "costs" or _CURRENCY.search(self.value)):
                return verb
        return None


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    name: int  # index of the cell that names the row; -1 when none does

    @property
    def title(self) -> str:
        return self.cells[self.name].value if self.name >= 0 else ""

    @cached_property
    def name_stems(self) -> tuple[str, ...]:
        """The name's content words as matched against a question; an aside is left out."""
        return tuple(stems(_PARENTHESES.sub("", self.title))) if self.title else ()

    @cached_property
    def name_tokens(self) -> tuple[str, ...]:
        """The name's every word, for finding it as a phrase ("Zone A")."""
        return tokens(_PARENTHESES.sub("", self.title)) if self.title else ()


def parse_row(text: str, strict: bool = False) -> Row | None:
    """A "Column: value; Column: value" text as a Row, or None when it is not one.

    A segment without "Key: " continues the previous value ("Notes: as-is; new belt"); with
    ``strict`` (rows found inside prose) every segment must be a pair, and two at least.
    """
    pairs: list[list[str]] = []
    for segment in text.strip().split("; "):
        match = _PAIR.match(segment)
        if match and not (strict and len(match["key"].split()) > 5):
            pairs.append([match["key"].strip(), match["value"].strip()])
        elif pairs and not strict:
            pairs[-1][1] += f"; {segment}"
        else:
            return None
    if not pairs or (strict and len(pairs) < 2):
        return None
    return make_row([Cell(key, value) for key, value in pairs])


def make_row(cells: Sequence[Cell]) -> Row:
    return Row(tuple(cells), _name_index(cells))


def _name_index(cells: Sequence[Cell]) -> int:
    for i, cell in enumerate(cells):
        words = set(re.findall(r"[a-z]+", cell.column.lower()))
        if words & _NAME_WORDS and not _ID_COLUMN.search(cell.column):
            return i
    for i, cell in enumerate(cells):
        if _TEXT.search(cell.value) and not _ID_COLUMN.search(cell.column):
            return i
    return -1


# --- which rows ---------------------------------------------------------------------------


def choose_rows(rows: Sequence[Row], content: Sequence[float], question: Question) -> list[int]:
    """Indexes of the rows that answer, best first: the named ones, else the closest."""
    named = _named(rows, question)
    by_content = sorted(range(len(rows)), key=lambda i: -content[i])
    if named:
        ranked = [i for i in by_content if i in named]
        names = list(dict.fromkeys(rows[i].name_stems for i in ranked))
        if len(names) > 1:  # a comparison: the best row of each name, in the question's order
            picks = [next(i for i in ranked if rows[i].name_stems == n) for n in names]
            picks.sort(key=lambda i: _said_at(rows[i], question))
            return picks[:MAX_ROWS]
        also = _also_compared(rows, content, question, set(names)) if question.compares else []
        if also:  # "the road bike or the hardtail": one named in full, the other in part
            return sorted([ranked[0], *also], key=lambda i: _said_at(rows[i], question))
        return ranked[:MAX_ROWS] if question.several or _plural_of(rows, question) else ranked[:1]
    if question.several or _plural_of(rows, question):
        fitting = _fitting(rows, by_content, question)
        if fitting is not None:  # the rows saying yes to the column asked, however close
            return fitting[:MAX_ROWS]
        best = content[by_content[0]]
        return [i for i in by_content if content[i] >= 0.8 * best][:MAX_ROWS]
    # Nothing named: the closest row, a little closer for each word of its name said.
    return [max(by_content, key=lambda i: content[i] + 0.2 * _name_share(rows[i], question))]


def _also_compared(
    rows: Sequence[Row], content: Sequence[float], question: Question, names: set[tuple[str, ...]]
) -> list[int]:
    """The closest row of another name that the question says part of ("the hardtail" for
    "Hardtail mountain"): what a comparison naming one row in full compares it with."""
    others = [
        i
        for i, row in enumerate(rows)
        if row.name_stems not in names and _name_share(row, question)
    ]
    return [max(others, key=lambda i: content[i])] if others else []


def _fitting(rows: Sequence[Row], ranked: list[int], question: Question) -> list[int] | None:
    """The rows a list question is after, in ``ranked`` order: those that do not say no in
    a column it names ("Which rooms allow dogs?" leaves out "dogs allowed: No", "which
    plans are you in network with?" the "network status: Not accepted"). None when no row
    says no, or every row does."""
    said = set(question.stems)
    kept = []
    for i in ranked:
        row = rows[i]
        named = [
            cell
            for c, cell in enumerate(row.cells)
            if c != row.name and _matches(said, _PARENTHESES.sub("", cell.column))
        ]
        if not any(_NEGATIVE.match(cell.value) for cell in named):
            kept.append(i)
    return kept if 0 < len(kept) < len(ranked) else None


def _named(rows: Sequence[Row], question: Question) -> set[int]:
    """Rows whose whole name the question says, not only as part of a longer name it says.

    A name is said as a phrase ("Zone B") or, when all its words carry meaning and no other
    name has the same, by its words in any order ("the touring version of the Glacier 850");
    "Zone A" is not said by a "zone" and an "a" apart. "Glacier 850" is named by "the Glacier
    850 and the Glacier 850 Touring", not by "the touring version of the Glacier 850", whose
    words all belong to the Touring's name.
    """
    said = Counter(question.stems)
    sets = Counter(frozenset(row.name_stems) for row in {r.name_tokens: r for r in rows}.values())
    full = {
        i: Counter(row.name_stems)
        for i, row in enumerate(rows)
        if row.name_stems
        and (
            _at(row.name_tokens, question.tokens) is not None
            or (
                len(row.name_stems) == len(row.name_tokens)
                and not Counter(row.name_stems) - said
                and sets[frozenset(row.name_stems)] == 1
            )
        )
    }
    return {
        i
        for i, name in full.items()
        if all(not name < other or not (name + other) - said for other in full.values())
    }


def _at(phrase: tuple[str, ...], said: tuple[str, ...]) -> int | None:
    """Where ``phrase`` starts in ``said``, or None."""
    n = len(phrase)
    return next((i for i in range(len(said) - n + 1) if said[i : i + n] == phrase), None)


def _said_at(row: Row, question: Question) -> int:
    """Where the question says the row's name: where the phrase starts, else its first word."""
    at = _at(row.name_tokens, question.tokens)
    if at is not None:
        return at
    return min(
        (question.tokens.index(s) for s in row.name_stems if s in question.tokens),
        default=len(question.tokens),
    )


def _name_share(row: Row, question: Question) -> float:
    """Share of the question's words that the row's name, its aside included, says."""
    said = set(question.stems)
    return len(set(stems(row.title)) & said) / len(said) if said else 0.0


def asks_list(rows: Sequence[Row], question: Question) -> bool:
    """A list of rows is asked for, not a comparison of the ones named."""
    return (question.several and not question.compares) or _plural_of(rows, question)


def _plural_of(rows: Sequence[Row], question: Question) -> bool:
    """The question asks for several of what the rows hold ("any ATVs") or of a column
    ("what colors"): a list is wanted. Names are left out, since a name may be plural ("SQL
    Foundations"), and so are columns merely said ("the time of the live sessions")."""
    values: set[str] = set()
    columns: set[str] = set()
    for row in rows:
        for i, cell in enumerate(row.cells):
            columns.update(stems(cell.column))
            if cell.short and i != row.name:
                values.update(stems(cell.value))
    return bool(question.plurals & values or question.asked_plurals & columns)


# --- writing ------------------------------------------------------------------------------


def _matches(asked: set[str], text: str) -> int:
    """How many question stems are the text's, or begin one of its ("mile" and "mileage")."""
    said = stems(text)
    return sum(any(_says(s, w) for w in said) for s in asked)


def _says(asked: str, word: str) -> bool:
    """A question stem says a word: the same stem, or the start of a longer one's."""
    return asked == word or (len(asked) >= 4 and word.startswith(asked))


def _asked(row: Row, question: Question, listed: frozenset[str] = frozenset()) -> list[int]:
    """Cells the question asks about, most asked first: a column naming more of its words,
    then a column of the kind asked for, then a value it says; identifiers last. The words
    ``listed`` name what a list is of ("which *rooms*..."), not what it asks about them."""
    wanted = set(question.stems) - set(row.name_stems) - listed
    weights: dict[int, float] = {}
    for i, cell in enumerate(row.cells):
        if i == row.name:
            continue
        named = _matches(wanted, _PARENTHESES.sub("", cell.column))
        weight = 2.0 * named + bool(cell.kinds & question.kinds)
        weight = weight or 0.5 * bool(wanted & set(stems(cell.value)))
        if weight:
            weights[i] = weight - 3 * bool(_ID_COLUMN.search(cell.column))
    return sorted(weights, key=lambda i: -weights[i])


def _named_columns(row: Row, question: Question) -> list[int]:
    """Cells whose whole column name the question says ("on Solo", "the self-paced price"),
    not only as part of a longer column name it says too ("Solo" in "with Solo Plus")."""
    said = set(question.stems)
    full = {
        i: frozenset(named)
        for i, cell in enumerate(row.cells)
        if i != row.name
        and not _ID_COLUMN.search(cell.column)
        and (named := stems(_PARENTHESES.sub("", cell.column)))
        and all(any(_says(s, w) for s in said) for w in named)
    }
    return [i for i, name in full.items() if not any(name < other for other in full.values())]


def row_sentence(row: Row, question: Question) -> str:
    """One sentence: the row's name, the cells asked about, a few others in parentheses.

    A column the question names is said alone among its like: "on Solo" gets the Solo
    column of a plan table, not the other plans' (cells of one kind, a price or a plain
    value); cells of other kinds may still follow in parentheses."""
    asked = _asked(row, question)
    whole = set(_named_columns(row, question))
    named = [i for i in asked if i in whole]
    if named:
        like = {row.cells[i].kinds for i in named}
        asked = named + [i for i in asked if i not in named and row.cells[i].kinds not in like]
    others = [
        i
        for i, cell in enumerate(row.cells)
        if i != row.name and i not in asked and cell.short and not (named and cell.kinds in like)
    ]
    if not asked:
        others.sort(key=lambda i: "price" not in row.cells[i].kinds)
        asked, others = others[:MAX_SAID], others[MAX_SAID:]
    main, said = _clause(row, asked[:MAX_SAID])
    asides = [row.cells[i].phrase() for i in [*asked[said:], *others]][:MAX_EXTRAS]
    return end_sentence(f"{main} ({', '.join(asides)})" if asides else main)


def _clause(row: Row, cells: Sequence[int]) -> tuple[str, int]:
    """The main clause and how many of ``cells`` it says: one after a verb, all after a colon."""
    subject = row.title
    first = row.cells[cells[0]] if cells else None
    verb = first.verb() if first is not None and subject else None
    if first is not None and verb:
        value = first.value
        if verb == "is" and value.replace(" ", "").isalpha() and value[1:].islower():
            value = value.lower()  # "is Available" -> "is available"
        if _plural_name(subject):
            verb = _PLURAL_VERBS[verb]  # "Cupcakes (standard) cost $36"
        return f"{subject} {verb} {value}", 1
    said = ", ".join(row.cells[i].phrase() for i in cells)
    return (f"{subject}: {said}" if subject and said else subject or said), len(cells)


def _plural_name(name: str) -> bool:
    """A name that is a plural noun: "Cupcakes (standard)", "Brake pads"; not "Glass", "Bus"
    or "Glacier 850"."""
    last = (_PARENTHESES.sub("", name).split() or [""])[-1].lower()
    return len(last) > 3 and last.isalpha() and last.endswith("s") and last[-2] not in "siu"


def rows_sentence(rows: Sequence[Row], question: Question) -> str:
    """Several rows: one short list, or a sentence each for two compared."""
    named = _named(rows, question)
    compared = len({row.title for row in rows}) == len(named) == 2
    if len(rows) <= 2 and (compared or not asks_list(rows, question)):
        return " ".join(row_sentence(row, question) for row in rows)
    items = list(dict.fromkeys(_item(row, rows, question) for row in rows))
    if len(items) == 1:
        return end_sentence(items[0])
    count = _COUNTS.get(len(items), str(len(items)))
    return end_sentence(f"Here are {count}: {', '.join(items[:-1])} and {items[-1]}")


def _item(row: Row, rows: Sequence[Row], question: Question) -> str:
    """ "Glacier 850 ($12,999)": the name and what the question asks, or the price.

    Only short cells are said, and not one all the listed rows share ("type ATV" in a list
    of ATVs): it tells nothing apart."""
    shared = {c.column for c in row.cells if all(c in other.cells for other in rows)}
    others = [i for i, cell in enumerate(row.cells) if i != row.name and cell.short]
    # "Which rooms...": the word the name column goes by says what is listed, not what of it.
    listed = frozenset(stems(row.cells[row.name].column)) if row.title else frozenset()
    asked = (
        [
            i
            for i in _asked(row, question, listed)
            if i in others and row.cells[i].column not in shared
        ]
        or [i for i in others if "price" in row.cells[i].kinds]
        or ([] if row.title else others)
    )
    twins = [other for other in rows if other.title == row.title and other is not row]
    if twins:  # rows of one name differ by a cell the list must show
        asked = list(dict.fromkeys(_differing(row, twins)[:1] + asked))
    details = [
        row.cells[i].value if row.cells[i].verb() == "costs" else row.cells[i].phrase()
        for i in asked[:2]
    ]
    if not row.title:
        return ", ".join(details)
    return f"{row.title} ({', '.join(details)})" if details else row.title


def _differing(row: Row, twins: Sequence[Row]) -> list[int]:
    columns = [{c.column: c.value for c in twin.cells} for twin in twins]
    return [
        i
        for i, cell in enumerate(row.cells)
        if i != row.name
        and cell.short
        and not _ID_COLUMN.search(cell.column)
        and any(other.get(cell.column) != cell.value for other in columns)
    ]


def end_sentence(text: str) -> str:
    """The text closed by a full stop unless it ends like a sentence already."""
    text = text.strip().rstrip(";,").rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
