"""Confidence that an answer is right, in [0, 1].

A logistic model over cheap signals of the drafted answer, fitted across businesses on the
development question bank (``python bench/answering.py --fit``; the bench reports it
cross-validated by business, fitted on the others and measured on the one left out):

- ``similarity``: how close the best passages are to the question in meaning (cosine);
- ``rerank``: the re-ranker's probability that the top passage answers (knowledge/rerank.py);
- ``coverage``: the share of the question's words, each weighted by its rarity in the agent's
  knowledge (IDF), that the cited passages contain;
- ``answer_coverage``: the same share in the reply itself, which is what the visitor reads;
- ``missing``: the rarest question word absent from the cited passages, as a share of the
  rarest question word's weight. "Same words, different fact" looks like this: a question
  about e-bike *motor repairs* against a passage about e-bike sales covers most words but
  misses the one that matters;
- ``answer_similarity``: the cosine between the question and the reply itself — a passage
  can be on topic while the sentences taken from it answer something else;
- ``type_match``: +1 when the question asks for a kind of answer (a price, a time, a
  duration, a number, a date, a street address) and the reply holds one, -1 when it does
  not, 0 otherwise;
- ``unit_similarity``: the cosine between the question and the passage units the reply was
  taken from, as the generator measured it (the extractive generator compares every unit
  of the top passages); the reply's own cosine when the generator measured none;
- ``answer_missing``: like ``missing``, in the reply and its titles: the passage may hold
  the weight asked for while the reply says only the price;
- ``names``: +1 when every name the question uses (a word with a digit, or capitalised past
  the start) is in the reply or its titles, -1 when one is missing, 0 when it names none —
  the reply about the "Arlo 1" is no answer for the "Arlo 4";
- ``margin``: how much more the re-ranker believes in the top passage than in the next one;
  a question two passages answer equally well is less sure of either;
- ``unpriced``: 1 when the question asks what something costs ("how much is...", "what's
  the price of...") and the reply names no price, nor says it is free or included: the
  passage is about the thing, but the visitor's question is not answered (a veto too);
- ``contradicted``: 1 when the question states a quantity or a numbered name ("a 10 inch
  cake", "the Arlo 4") and the reply gives the same word other numbers only ("6-inch", "Arlo
  3"), or names half of a numbered model only ("Timberline 1000" or "Glacier White" for
  the "Glacier 1000"): that reply is about another size or model, however close its words
  (a veto).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from itertools import pairwise

from frontdesk.answering.generators.question import HOW_MUCH_PRICE
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.loaders.qa import split_pair
from frontdesk.knowledge.rerank import question_names
from frontdesk.knowledge.text import STOP_WORDS, stems, words
from frontdesk.knowledge.vectors import TermStats, weighted_share

# Fitted by `python bench/answering.py --fit` on the question bank (six businesses + demo).
WEIGHTS = {
    "similarity": 0.661,
    "rerank": 0.463,
    "coverage": 0.657,
    "answer_coverage": 0.785,
    "missing": -0.45,
    "answer_similarity": 1.225,
    "type_match": 0.31,
    "unit_similarity": 1.214,
    "names": 0.069,
    "answer_missing": -0.663,
    "margin": 0.585,
}
BIAS = -1.512
# Signals that settle it alone: a reply that contradicts what the question states is no
# answer, whatever else it shares with it. Too rare in the bank to be learned as a weight.
VETOES = ("contradicted", "unpriced")


@dataclass(frozen=True)
class Evidence:
    similarity: float = 0.0
    rerank: float = 0.0
    coverage: float = 0.0
    answer_coverage: float = 0.0
    missing: float = 0.0
    answer_similarity: float = 0.0
    type_match: float = 0.0
    unit_similarity: float = 0.0
    names: float = 0.0
    answer_missing: float = 0.0
    contradicted: float = 0.0
    unpriced: float = 0.0
    margin: float = 0.0


_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty)"
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekday|weekend"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# (what the question asks for, what a reply holding it looks like); English only for now.
_ANSWER_TYPES = tuple(
    (re.compile(asks, re.I), re.compile(holds, re.I))
    for asks, holds in (
        (  # a price
            HOW_MUCH_PRICE + r"|\b(costs?|expensive|cheap(er|est)?)\b"
            r"|\b(prices?|fees?|charges?|rates?) (of|for|to|on)\b"
            r"|\bwhat(s|'s| is| are)( the| your)? \w*\s?(price|fee|charge|rate)",
            r"[$£€¥]\s?\d|\d\s?(dollars|usd|eur|gbp|pounds|euros)\b|\bfree\b|\bno charge\b"
            r"|\bincluded\b|\d\s?(%|percent\b)",
        ),
        (  # a time of day
            r"\bwhat time\b|\b(open|opens|close|closes)\b|\bhours\b",
            r"\d{1,2}(:\d\d)?\s?[ap]\.?m\b|\b\d{1,2}:\d\d\b|\bnoon\b|\bmidnight\b|\bclosed\b",
        ),
        (  # a duration
            r"\bhow (long|soon|fast|quickly|far ahead)\b|\bnotice\b",
            _NUMBER + r"[\s-]*(business |working )?(minute|hour|day|week|month|year)s?\b",
        ),
        (r"\bhow (many|old)\b|\bminimum age\b", r"\d|\b(one|two|three|four|five|six|dozen)\b"),
        (  # a weight
            r"\bweigh(s|t|ts)?\b|\bhow heavy\b",
            r"\d\s?(lbs?|pounds|kg|kilos?|kilograms?|g|grams?|oz|ounces|tons?)\b",
        ),
        (r"\bwhen\b", rf"\d|\b({_WEEKDAYS}|{_MONTHS}|daily|every|before|after|within)\b"),
        (  # a place: a street address
            r"(?<!email )(?<!e-mail )(?<!web )\baddress\b|\bwhere (is|are) (you|your|the)\b"
            r"|\blocated\b|\bfind you\b",
            r"\b\d{1,5}\s+(\w+\s+){1,3}(street|st|road|rd|avenue|ave|lane|ln|drive|dr|way"
            r"|boulevard|blvd|place|pl|court|ct|square|highway|hwy)\b",
        ),
    )
)


_PRICE_HOLDS = _ANSWER_TYPES[0][1]
# Asks for a price in so many words (the price kind above also counts "cheaper", "fees for").
_ASKS_PRICE = re.compile(
    HOW_MUCH_PRICE
    + r"|\bhow much\b.*\bcosts?\b"
    + r"|\bwhat(s|'s| is| are| does| do)( the| your| a| an| it)? (price|cost)s?\b",
    re.I,
)


def unpriced(question: str, answer: str) -> float:
    """1 when the question asks what something costs and the reply holds no price."""
    return float(bool(_ASKS_PRICE.search(question)) and not _PRICE_HOLDS.search(answer))


def answer_kinds(question: str) -> list[re.Pattern[str]]:
    """What a reply holding the kind of answer asked for looks like (none: no kind asked)."""
    return [holds for asks, holds in _ANSWER_TYPES if asks.search(question)]


def holds_kind(expected: list[re.Pattern[str]], text: str) -> float:
    """+1: ``text`` holds one of the ``expected`` kinds; -1: it does not; 0: none expected."""
    if not expected:
        return 0.0
    return 1.0 if any(holds.search(text) for holds in expected) else -1.0


def type_match(question: str, answer: str) -> float:
    """+1: the reply holds the kind of answer asked for; -1: it does not; 0: none asked."""
    return holds_kind(answer_kinds(question), answer)


def coverage(question: str, passage: str, terms: TermStats | None = None) -> float:
    """Share of the question's content stems found in ``passage``, IDF-weighted when known."""
    return share_present(set(stems(question)), passage, terms)


def share_present(wanted: set[str], passage: str, terms: TermStats | None = None) -> float:
    """Like ``coverage`` with the question's stems computed once by the caller."""
    return weighted_share(wanted, set(stems(passage)), terms)


# Words that say how a question asks rather than what it is about: "how *much*", "how
# *many*", "what *time*", "*will* it *still*...", "do you *offer*...", "*one* more *quick*
# *question*". A reply never needs to repeat them, and they
# are rare in a business's own text, so as question words they would weigh the most.
_FORM_AFTER = {"how": None, "what": {"time", "kind", "sort", "type"}}
_FORM_WORDS = frozenset(
    {
        "will", "still", "just", "ever", "even", "also", "really", "stuff", "thing",
        "things", "anything", "something", "someone", "somebody", "able", "possible", "need",
        "want", "take", "make", "use", "mean", "offer", "provide", "available", "one",
        "question", "questions", "quick",
    }
)  # fmt: skip
# Words a question asks for a price with: the reply's price (type_match) answers them.
_PRICE_WORDS = frozenset(
    {"much", "price", "prices", "cost", "costs", "charge", "charges", "expensive", "cheap"}
)


def asked_stems(question: str) -> set[str]:
    """The stems of what the question is about: its content words, less those that only
    say how it asks (``_FORM_WORDS``, the word after "how", "what time", and the price words
    when a price is asked; the kind of answer asked is weighed by ``type_match``)."""
    said = words(question)
    form = set(_FORM_WORDS)
    for first, second in pairwise(said):
        after = _FORM_AFTER.get(first, set())
        if after is None or second in after:
            form.add(second)
    if any(holds is _PRICE_HOLDS for holds in answer_kinds(question)):
        form |= _PRICE_WORDS
    kept = [w for w in said if w not in form]
    asked = set(stems(" ".join(kept))) if kept else set()
    return asked or set(stems(question))


def missing(wanted: set[str], passage: str, terms: TermStats | None) -> float:
    """The weight of the rarest question stem the passage lacks, over the rarest overall."""
    if not wanted:
        return 0.0
    absent = wanted - set(stems(passage))
    weight = (lambda s: terms.idf(s)) if terms is not None else (lambda s: 1.0)
    top = max(weight(s) for s in wanted)
    if not absent or top <= 0:
        return 0.0
    return max(weight(s) for s in absent) / top


def names_said(question: str, answer: str) -> float:
    """+1 when every name of the question (a word with a digit, or capitalised past the
    start: "Arlo 4", "Glacier") is in the reply or its titles, and a name followed by its
    number ("Glacier 1000") is said so, -1 when one is not, 0 when the
    question names nothing: a reply about the Arlo 1 does not answer for the Arlo 4, nor
    one about the Timberline 1000 in Glacier White for the Glacier 1000."""
    names = question_names(question)
    if not names:
        return 0.0
    said = words(answer)
    whole = names <= set(said) and _name_phrases(question, names) <= set(pairwise(said))
    return 1.0 if whole else -1.0


def _name_phrases(question: str, names: set[str] | None = None) -> set[tuple[str, str]]:
    """The question's names said with their number: ("glacier", "1000") for "the Glacier
    1000", ("scree", "350f") for "a Scree 350F"; not "Saturday 9" (an hour)."""
    names = question_names(question) if names is None else names
    return {
        (first, second)
        for first, second in pairwise(words(question))
        if {first, second} <= names
        and first.isalpha()
        and first not in _NOT_NAMED
        and any(c.isdigit() for c in second)
    }


# Words said with a number that is not the thing's own: "Saturday 9" asks about an hour,
# and "Saturday 10:00" answers it.
_NOT_NAMED = STOP_WORDS | set(_WEEKDAYS.split("|")) | {f"{day}s" for day in _WEEKDAYS.split("|")}


# A number after these is a bound ("up to 60 people", "at least 7 days"): the number asked
# may be inside it, so it contradicts nothing.
_BOUNDS = {
    "up", "least", "most", "than", "over", "under", "minimum", "maximum", "min", "max",
    "between", "from", "within", "until",
}  # fmt: skip


def _numbered(text: str) -> dict[tuple[str, bool], set[str | None]]:
    """Each word that a number is said with, and the numbers: ("inch", True) for "10 inch"
    (number first), ("arlo", False) for "Arlo 4"; plurals folded ("days" as "day"). A
    bound is recorded as None."""
    said: dict[tuple[str, bool], set[str | None]] = {}
    said_words = words(text)
    for i, (first, second) in enumerate(pairwise(said_words)):
        for at, number, word, number_first in (
            (i, first, second, True),
            (i + 1, second, first, False),
        ):
            if _is_number(number) and word.isalpha() and word not in _NOT_NAMED:
                key = (word.removesuffix("s") if len(word) > 3 else word, number_first)
                bound = not _BOUNDS.isdisjoint(said_words[max(at - 2, 0) : at])
                said.setdefault(key, set()).add(None if bound else number)
    return said


def _is_number(word: str) -> bool:
    return word.replace(".", "", 1).replace(",", "").isdigit()


def contradicted(question: str, answer: str) -> float:
    """1 when a number the question says with a word ("10 inch", "Arlo 4") is, in the
    reply, another number with that same word only ("6-inch", "Arlo 3"), or when a model
    the question names with its number ("Glacier 1000") is not named so in the reply
    while half of it is ("Timberline 1000", "Glacier White", "Scree 450F"): that reply is
    about another size or model, however close its words; else 0. A reply that bounds
    the number ("up to 60 people" for "40 people") does not contradict it."""
    replied = _numbered(answer)
    for key, numbers in _numbered(question).items():
        other = replied.get(key)
        if other and None not in other and other.isdisjoint(numbers):
            return 1.0
    said = words(answer)
    pairs = set(pairwise(said))
    for phrase in _name_phrases(question):
        if phrase not in pairs and not set(phrase).isdisjoint(said):
            return 1.0
    return 0.0


def evidence(
    question: str,
    hits: list[Hit],
    cited: list[Hit],
    answer: str = "",
    terms: TermStats | None = None,
    answer_similarity: float = 0.0,
    unit_similarity: float | None = None,
) -> Evidence:
    if not hits:
        return Evidence()
    wanted = asked_stems(question)
    grounds = cited or hits[:1]
    text = " ".join(f"{h.title} {h.text}" for h in grounds)
    # What the visitor reads: the reply, under its sources' titles; a Q&A pair's answer
    # answers its own question, which stands above it like a title.
    asked = [pair[0] for h in grounds if (pair := split_pair(h.text)) is not None]
    said = " ".join([*(h.title for h in grounds), *asked, answer])
    return Evidence(
        similarity=max(h.vector_score for h in hits[:3]),
        rerank=hits[0].rerank_score,
        coverage=share_present(wanted, text, terms),
        answer_coverage=share_present(wanted, said, terms),
        missing=missing(wanted, text, terms),
        answer_similarity=answer_similarity,
        type_match=type_match(question, answer),
        unit_similarity=answer_similarity if unit_similarity is None else unit_similarity,
        names=names_said(question, said),
        answer_missing=missing(wanted, said, terms),
        contradicted=contradicted(question, said),
        unpriced=unpriced(question, answer),
        margin=hits[0].rerank_score - (hits[1].rerank_score if len(hits) > 1 else 0.0),
    )


def confidence(ev: Evidence) -> float:
    values = asdict(ev)
    if any(values[name] for name in VETOES):
        return 0.0
    z = BIAS + sum(WEIGHTS[name] * values[name] for name in WEIGHTS)
    return round(1.0 / (1.0 + math.exp(-z)), 4)
