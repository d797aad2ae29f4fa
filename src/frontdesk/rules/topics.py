"""Topic matching: a topic is a name plus a few example phrases, matched by embedding similarity.

A message's score for a topic mixes its best similarity to one example with its similarity to
the examples' centroid: the centroid is steadier with few examples, the best example keeps
topics whose phrasings differ. A message whose best score is under the threshold matches no
topic (out of scope). No training: adding a topic only embeds its examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from frontdesk.embedder.model import Embedder, normalise
from frontdesk.errors import InvalidInput

# Chosen on CLINC150's train split (topics from 10 examples per intent, 20 other training
# messages per intent as in-scope and `oos_train` as out-of-scope; balanced accuracy).
DEFAULT_THRESHOLD = 0.48
EXAMPLE_WEIGHT = 0.25


@dataclass(frozen=True)
class Topic:
    name: str
    examples: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "examples", tuple(self.examples))
        if not self.name.strip():
            raise InvalidInput("A topic needs a name.", field="name")
        if not any(e.strip() for e in self.examples):
            raise InvalidInput(f"Topic {self.name!r} needs at least one example.", field="examples")


class TopicMatch(NamedTuple):
    name: str
    score: float


class TopicMatcher:
    """Matches messages to the closest topic, or to none when nothing is close enough."""

    def __init__(
        self,
        embedder: Embedder | None,
        topics: Sequence[Topic],
        threshold: float = DEFAULT_THRESHOLD,
        example_vectors: np.ndarray | None = None,
    ):
        """``example_vectors`` (all topics' examples, in order) skips embedding them again;
        without an embedder they are required, and only vectors can be matched."""
        self.embedder = embedder
        self.topics = list(topics)
        self.threshold = threshold
        examples = [e for topic in self.topics for e in topic.examples]
        if example_vectors is None:
            if embedder is None:
                raise InvalidInput("A topic matcher needs an embedder or the example vectors.")
            example_vectors = embedder.embed(examples)
        vectors = np.asarray(example_vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(examples):
            raise InvalidInput(
                f"Expected {len(examples)} example vectors, got shape {vectors.shape}."
            )
        counts = np.array([len(t.examples) for t in self.topics], dtype=np.int64)
        self._starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self._examples = vectors
        self._centroids = (
            normalise(np.add.reduceat(vectors, self._starts, axis=0) / counts[:, None])
            if self.topics
            else vectors[:0]
        )

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Scores of shape (messages, topics) for L2-normalised message vectors."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if not self.topics:
            return np.zeros((len(vectors), 0), dtype=np.float32)
        best_example = np.maximum.reduceat(vectors @ self._examples.T, self._starts, axis=1)
        centroid = vectors @ self._centroids.T
        return EXAMPLE_WEIGHT * best_example + (1 - EXAMPLE_WEIGHT) * centroid

    def match_many(self, vectors: np.ndarray) -> list[TopicMatch | None]:
        if not self.topics:
            return [None] * len(np.atleast_2d(vectors))
        scores = self.scores(vectors)
        best = scores.argmax(axis=1)
        top = scores[np.arange(len(scores)), best]
        return [
            TopicMatch(self.topics[i].name, float(s)) if s >= self.threshold else None
            for i, s in zip(best, top, strict=True)
        ]

    def match(self, message: str | np.ndarray) -> TopicMatch | None:
        """The best topic for a message (text, or its vector) and its score, or None."""
        if isinstance(message, str):
            if self.embedder is None:
                raise InvalidInput("This topic matcher has no embedder; pass a vector.")
            message = self.embedder.embed_query(message)
        return self.match_many(np.asarray(message)[None, :])[0]
