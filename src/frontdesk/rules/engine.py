"""Decides, before the AI answers, whether a visitor message needs a person, and why."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from frontdesk.knowledge.embedder import Embedder, OnnxMiniLM
from frontdesk.rules.config import RulesConfig
from frontdesk.rules.detectors import ExplicitRequestDetector, FrustrationDetector
from frontdesk.rules.topics import Topic, TopicMatcher


@dataclass(frozen=True)
class Verdict:
    trigger: str
    reason: str
    priority: str | None = None


class RulesEngine:
    """Detectors read MiniLM vectors; with another embedder configured they get their own."""

    def __init__(self, embedder_fn: Callable[[], Embedder]):
        self._embedder_fn = embedder_fn
        self._matchers: dict[str, TopicMatcher] = {}
        self._lock = threading.Lock()

    @cached_property
    def embedder(self) -> Embedder:
        embedder = self._embedder_fn()
        return embedder if embedder.model_id == OnnxMiniLM.model_id else OnnxMiniLM()

    @cached_property
    def requests(self) -> ExplicitRequestDetector:
        return ExplicitRequestDetector(self.embedder)

    @cached_property
    def frustration(self) -> FrustrationDetector:
        return FrustrationDetector(self.embedder)

    def evaluate(
        self,
        rules: RulesConfig,
        text: str,
        visitor_messages: int,
        vector: np.ndarray | None = None,
    ) -> Verdict | None:
        """The first rule that fires for ``text`` (the visitor's ``visitor_messages``-th);
        ``vector`` is ``text`` embedded by :attr:`embedder`, when already at hand."""
        if vector is None:
            vector = self.embedder.embed_query(text)
        if rules.explicit_request and self.requests.detect(text, vector):
            return Verdict("explicit_request", "the visitor asked for a person")
        for keyword in rules.keywords:
            if _contains(text, keyword.phrase):
                return Verdict("keyword", f"keyword '{keyword.phrase}'", keyword.priority)
        if rules.topics:
            match = self._matcher(rules).match(vector)
            if match is not None:
                topic = next(t for t in rules.topics if t.name == match.name)
                if topic.handoff:
                    return Verdict("topic", f"topic '{topic.name}'", topic.priority)
        if rules.max_visitor_messages and visitor_messages >= rules.max_visitor_messages:
            return Verdict("max_messages", f"{visitor_messages} visitor messages without a person")
        if rules.negative_sentiment and self.frustration.detect(text, vector):
            return Verdict("sentiment", "the visitor sounds frustrated")
        return None

    def _matcher(self, rules: RulesConfig) -> TopicMatcher:
        key = rules.model_dump_json(include={"topics", "topic_threshold"})
        with self._lock:
            matcher = self._matchers.get(key)
            if matcher is None:
                topics = [Topic(t.name, tuple(t.examples)) for t in rules.topics]
                matcher = TopicMatcher(self.embedder, topics, threshold=rules.topic_threshold)
                if len(self._matchers) > 256:
                    self._matchers.clear()
                self._matchers[key] = matcher
        return matcher


def _contains(text: str, phrase: str) -> bool:
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.lower().split())) + r"(?!\w)"
    return re.search(pattern, text.lower()) is not None
