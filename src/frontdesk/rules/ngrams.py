"""Word unigrams and bigrams: the lexical inputs of the detectors, beside the embedding.

Mean-pooled MiniLM vectors blur word order ("talk to sales" vs "talk about sales") and tone
("great, thanks" vs "great, thanks a lot"); the presence of short word sequences restores it.
The vocabulary is fitted on the training messages and stored with the weights.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

import numpy as np

TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]|[\u2600-\u27bf\U0001f300-\U0001faff]")
STRETCHED = re.compile(r"([a-z])\1{2,}")
START, END = "<s>", "</s>"


def ngrams(text: str) -> set[str]:
    """Lower-cased words, ``!``, ``?`` and emoji, and adjacent pairs with the message edges.

    Letters repeated three times or more count as two ("ughhhh" is "ughh").
    """
    low = STRETCHED.sub(r"\1\1", text.lower().replace("\u2019", "'"))
    words = [START, *TOKEN.findall(low), END]
    return set(words[1:-1]) | {f"{a} {b}" for a, b in pairwise(words)}


def fit_vocabulary(grams: Iterable[set[str]], min_count: int = 2) -> tuple[str, ...]:
    """The n-grams found in at least ``min_count`` messages, sorted."""
    counts = Counter(g for message in grams for g in message)
    return tuple(sorted(g for g, n in counts.items() if n >= min_count))


def ngram_features(grams: Sequence[set[str]], index: Mapping[str, int]) -> np.ndarray:
    """One 0/1 column per vocabulary entry (``index`` maps each entry to its column)."""
    out = np.zeros((len(grams), len(index)), dtype=np.float32)
    for row, message in enumerate(grams):
        for g in message:
            column = index.get(g)
            if column is not None:
                out[row, column] = 1.0
    return out
