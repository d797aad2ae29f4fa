"""Re-scoring the best fused candidates with what a reader checks first.

Fusion ranks by two similarity scores; a visitor who names "the Trail 29 Pro" or "room 12"
expects the passage with that exact name, and one who asks about "late returns" the section
headed so. No cross-encoder ships its weights inside a package we may install, so the
re-scoring is a small logistic model over signals at hand, computed for the top candidates:

- ``fused``: the hybrid score the candidate arrived with (normalised per query, 0..1);
- ``vector``: its cosine to the question;
- ``coverage``: the share of the question's words (IDF-weighted) found in its title and text;
- ``title``: the same share in its title alone (document title and heading path);
- ``names``: the share of the names in the question — words with a digit, or capitalised
  past the first word — found as whole words in the candidate;
- ``phrase``: the share of the question's neighbouring word pairs found side by side;
- ``unit``: the best cosine between the question and one of the candidate's units (its
  sentences, list items, rows; their vectors stored at ingestion, knowledge/units.py): "Where
  do I leave my car?" is close to "Free two-hour parking on Pine Street" though the section
  holding it, about visiting the shop, is not close as a whole.

The weights are fitted on the development question bank (``bench/answering.py --fit``)
across businesses; the bench reports them cross-validated by business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from itertools import pairwise

import numpy as np

from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.text import STOP_WORDS, WORD, stems, words
from frontdesk.knowledge.vectors import TermStats, weighted_share

FEATURES = ("fused", "vector", "coverage", "title", "names", "phrase", "unit")
# Fitted by `python bench/answering.py --fit` (pairs of question and candidate, labelled by
# whether the candidate holds the expected answer), six businesses and the demo.
WEIGHTS = np.array(
    [1.205, 0.436, 1.123, 0.059, 0.101, 0.492, 0.658, -3.451]
)  # one per feature, then the bias
DEPTH = 20  # candidates re-scored; the rest keep their fused order below them


def question_names(question: str) -> set[str]:
    """Words that name a thing: with a digit ("850", "2026"), or capitalised past the start."""
    names = set()
    for position, match in enumerate(WORD.finditer(question)):
        word = match.group()
        lowered = word.lower()
        if lowered in STOP_WORDS:
            continue
        if any(ch.isdigit() for ch in word) or (position > 0 and word[0].isupper()):
            names.add(lowered)
    return names


def _pairs(stemmed: Sequence[str]) -> set[tuple[str, str]]:
    return set(pairwise(stemmed))


@lru_cache(maxsize=8192)
def _read(text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """A candidate's stems and lower-cased words; popular passages come back often."""
    return tuple(stems(text)), frozenset(words(text))


class Reranker:
    def __init__(self, weights: np.ndarray = WEIGHTS, depth: int = DEPTH) -> None:
        self.weights = weights
        self.depth = depth

    def features(self, question: str, hits: list[Hit], terms: TermStats | None) -> np.ndarray:
        """One row per hit, one column per name in ``FEATURES``."""
        question_stems = stems(question)
        wanted = set(question_stems)
        pairs = _pairs(question_stems)
        names = question_names(question)
        rows = []
        for hit in hits:
            text_stems, raw_words = _read(f"{hit.title}\n{hit.text}")
            present = set(text_stems)
            rows.append(
                [
                    hit.score,
                    hit.vector_score,
                    weighted_share(wanted, present, terms),
                    weighted_share(wanted, set(_read(hit.title)[0]), terms),
                    len(names & raw_words) / len(names) if names else 0.0,
                    len(pairs & _pairs(text_stems)) / len(pairs) if pairs else 0.0,
                    hit.unit_score,
                ]
            )
        return np.array(rows, dtype=float).reshape(len(hits), len(FEATURES))

    def rerank(self, question: str, hits: list[Hit], terms: TermStats | None) -> list[Hit]:
        """The first ``depth`` hits re-ordered by the model; ``rerank_score`` set on each."""
        head, tail = hits[: self.depth], hits[self.depth :]
        if not head:
            return hits
        z = self.features(question, head, terms) @ self.weights[:-1] + self.weights[-1]
        probability = 1.0 / (1.0 + np.exp(-z))
        order = np.argsort(-probability, kind="stable")
        ranked = [replace(head[i], rerank_score=float(probability[i])) for i in order]
        return ranked + tail
