"""Confidence that an answer is grounded, in [0, 1].

Two signals, both cheap: how close the best passages are in meaning (cosine of MiniLM
vectors) and how much of the question the passages the answer cites actually contain —
weighted by each word's rarity in the agent's knowledge (IDF), so a question about
"towing capacity" is not answered by a row that merely shares the model name. A logistic
curve maps them to [0, 1]; ``bench/answering.py --fit`` fits its coefficients on a
labelled set of answerable and unanswerable questions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.text import stems
from frontdesk.knowledge.vectors import TermStats

# Fitted by `python bench/answering.py --fit` on bench/questions/demo.jsonl.
WEIGHT_SIMILARITY = 6.53
WEIGHT_COVERAGE = 2.77
BIAS = -4.71


@dataclass(frozen=True)
class Evidence:
    similarity: float
    coverage: float


def coverage(question: str, passage: str, terms: TermStats | None = None) -> float:
    """Share of the question's content stems found in ``passage``, IDF-weighted when known."""
    return share_present(set(stems(question)), passage, terms)


def share_present(wanted: set[str], passage: str, terms: TermStats | None = None) -> float:
    """Like ``coverage`` with the question's stems computed once by the caller."""
    if not wanted:
        return 0.0
    present = wanted & set(stems(passage))
    if terms is None:
        return len(present) / len(wanted)
    total = sum(terms.idf(s) for s in wanted)
    return sum(terms.idf(s) for s in present) / total if total > 0 else 0.0


def evidence(
    question: str,
    hits: list[Hit],
    cited: list[Hit],
    terms: TermStats | None = None,
) -> Evidence:
    if not hits:
        return Evidence(0.0, 0.0)
    similarity = max(h.vector_score for h in hits[:3])
    grounds = cited or hits[:1]
    text = " ".join(f"{h.title} {h.text}" for h in grounds)
    return Evidence(similarity, coverage(question, text, terms))


def confidence(ev: Evidence) -> float:
    z = WEIGHT_SIMILARITY * ev.similarity + WEIGHT_COVERAGE * ev.coverage + BIAS
    return round(1.0 / (1.0 + math.exp(-z)), 4)
