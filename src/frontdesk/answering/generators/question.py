"""What a visitor's question asks for, read from its words alone (no model).

Two things shape a written answer: the kinds of facts asked about ("how much" wants a price,
"when" a date or time), which decide which cells of a table row are said first, and whether
a list or a comparison is wanted, which decides whether one row answers or several.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.knowledge.text import stems, words

# Question words -> the kind of fact they ask for.
_ASKS = {
    "price": {
        "cost", "costs", "price", "prices", "priced", "fee", "fees", "charge",
        "charges", "rate", "rates", "expensive", "cheap", "cheaper", "cheapest", "pay",
    },
    "time": {
        "when", "time", "times", "hours", "open", "opens", "close", "closes", "date", "dates",
        "day", "days", "start", "starts", "schedule",
    },
    "duration": {"long", "duration", "length", "weeks", "minutes"},
    "place": {"where", "location", "located", "address"},
    "status": {"available", "availability", "stock", "sold", "left"},
    "size": {"big", "large", "size", "sizes", "small", "area"},
}  # fmt: skip
# "How much" asks for a price when it goes on like a price question ("how much is it", "how
# much to", "how much do you charge"), not for a weight or a size ("how much does it weigh",
# "how much storage"); those ask a price only with a price word of their own ("cost").
HOW_MUCH_PRICE = (
    r"\bhow much\s+(?:is|are|was|were|'s|for|to|extra|more|less|would|will|should|money"
    r"|do (?:you|i|we)|does (?:it|that|this|one)|did (?:it|that|this))\b"
)
_HOW_MUCH_PRICE = re.compile(HOW_MUCH_PRICE, re.I)
_COMPARE = {"compare", "comparison", "difference", "differences", "vs", "versus", "between"}
# "Is it cheaper to rent the road bike or the hardtail?": a comparative between two named.
_COMPARATIVES = {
    "cheaper", "dearer", "bigger", "larger", "smaller", "faster", "slower", "longer",
    "shorter", "better", "newer", "older", "heavier", "lighter", "closer", "nearer", "more",
    "less", "fewer",
}  # fmt: skip
_SEVERAL = {"which", "list", "options", "all", *_COMPARE}
_WHAT_YOU_HAVE = re.compile(r"\bwhat\b.*\b(?:do|does)\s+(?:you|they)\s+(?:have|sell|offer|carry)\b")
_ASK_WORDS = {"what", "which"}


def _plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and word[-2] != "s"


@dataclass(frozen=True)
class Question:
    text: str
    words: tuple[str, ...]  # lower-cased, in order
    stems: tuple[str, ...]  # content-word stems, in order
    tokens: tuple[str, ...]  # every word's stem, in order: names are matched as phrases
    kinds: frozenset[str]  # kinds of fact asked for: price, time, duration, place, status, size
    several: bool  # its wording asks for a list or a comparison
    compares: bool  # its wording asks for a comparison

    @property
    def plurals(self) -> frozenset[str]:
        """Stems of the plural nouns it uses ("ATVs" -> "atv"): a list may be wanted."""
        return frozenset(stems(w)[0] for w in self.words if _plural(w))

    @property
    def asked_plurals(self) -> frozenset[str]:
        """Stems of the plurals it asks for by name: "what colors", "which sizes"."""
        pairs = zip(self.words, self.words[1:], strict=False)
        return frozenset(stems(w)[0] for ask, w in pairs if ask in _ASK_WORDS and _plural(w))


def read_question(text: str) -> Question:
    said = words(text)
    kinds = {kind for kind, cues in _ASKS.items() if cues & set(said)}
    if _HOW_MUCH_PRICE.search(text):
        kinds.add("price")
    several = bool(_SEVERAL & set(said)) or bool(_WHAT_YOU_HAVE.search(text.lower()))
    compares = bool(_COMPARE & set(said)) or (bool(_COMPARATIVES & set(said)) and "or" in said)
    return Question(
        text, tuple(said), tuple(stems(text)), tokens(text), frozenset(kinds), several, compares
    )


def tokens(text: str) -> tuple[str, ...]:
    """Every word stemmed, stop words too: "Zone A" is not "Zone B"."""
    return tuple(s for word in words(text) for s in stems(word))
