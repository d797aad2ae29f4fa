"""Recognises a visitor saying the last answer did not help ("that didn't help")."""

from __future__ import annotations

import numpy as np

from frontdesk.embedder.model import Embedder
from frontdesk.rules.topics import Topic, TopicMatcher

EXAMPLES = (
    "that didn't help",
    "that did not help at all",
    "that doesn't answer my question",
    "that's not what I asked",
    "not what I asked",
    "you didn't answer my question",
    "that's not helpful",
    "not helpful",
    "this is not what I was looking for",
    "no, that's wrong",
    "that's the wrong answer",
    "you misunderstood my question",
    "that's not it",
    "still doesn't answer it",
    "that isn't relevant to my question",
    "no that's not what I meant",
    "that answer is useless",
    "you're not understanding me",
    "that was no help",
    "you keep giving me the wrong answer",
)
THRESHOLD = 0.5


class UnhelpfulFeedback:
    def __init__(self, embedder: Embedder, threshold: float = THRESHOLD):
        self._matcher = TopicMatcher(embedder, [Topic("unhelpful", EXAMPLES)], threshold=threshold)

    def score(self, vector: np.ndarray) -> float:
        return float(self._matcher.scores(vector[None, :])[0].max())

    def detect(self, vector: np.ndarray) -> bool:
        return self._matcher.match(vector) is not None
