"""Word-level text helpers shared by full-text queries, sentence scoring and confidence."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")

# A short English stop list: function words that carry no topic on their own.
_STOP = """
a about above after again against all am an and any are aren't as at be because been
before being below between both but by can cannot could couldn't did didn't do does
doesn't doing don't down during each few for from further had hadn't has hasn't have
haven't having he her here hers herself him himself his how i i'd i'm i've if in into is
isn't it it's its itself let's me more most my myself no nor not of off on once only or
other ought our ours ourselves out over own same she should shouldn't so some such than
that that's the their theirs them themselves then there there's these they this those
through to too under until up very was wasn't we were weren't what what's when where
which while who whom why with won't would wouldn't you your yours yourself yourselves
tell please hi hello thanks thank know like get got us let r u ur guys yall y'all whats
what's wheres hows dont doesnt im pls plz hey ok okay
"""
STOP_WORDS = frozenset(_STOP.split())


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Stemmer.Stemmer:
    try:
        return Stemmer.Stemmer(language)
    except KeyError:
        return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Lower-cased words minus stop words; falls back to all words for all-stop-word text."""
    all_words = words(text)
    kept = [w for w in all_words if w not in STOP_WORDS]
    return kept or all_words


# English word forms a stemmer leaves apart from their base: "paid" is "pay", "teeth" is
# "tooth" (the stemmer cuts endings; these change the word).
_IRREGULAR = {
    "paid": "pay", "bought": "buy", "brought": "bring", "took": "take", "taken": "take",
    "gave": "give", "given": "give", "sent": "send", "kept": "keep", "held": "hold",
    "made": "make", "found": "find", "told": "tell", "sold": "sell", "spent": "spend",
    "lost": "lose", "went": "go", "gone": "go", "came": "come", "wrote": "write",
    "written": "write", "drove": "drive", "driven": "drive", "rode": "ride",
    "ridden": "ride", "chose": "choose", "chosen": "choose", "broken": "break", "ran": "run",
    "met": "meet", "meant": "mean", "built": "build", "began": "begin", "begun": "begin",
    "ate": "eat", "eaten": "eat", "froze": "freeze", "frozen": "freeze", "teeth": "tooth",
    "feet": "foot", "children": "child", "knives": "knife", "wives": "wife",
}  # fmt: skip


def stems(text: str, language: str = "english") -> list[str]:
    said = content_words(text)
    if language == "english":
        said = [_IRREGULAR.get(word, word) for word in said]
    return _stemmer(language).stemWords(said)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def query_terms(text: str, max_terms: int = 32) -> list[str]:
    """The distinct content words of a query, in order: what a keyword search looks for."""
    seen: dict[str, None] = {}
    for word in content_words(text):
        token = word.replace('"', "").replace("’", "'")
        if token:
            seen.setdefault(token, None)
    return list(seen)[:max_terms]
