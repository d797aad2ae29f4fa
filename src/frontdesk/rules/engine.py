"""Decides, before the AI answers, whether a visitor message needs a person, and why."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from frontdesk.embedder.model import Embedder, OnnxMiniLM
from frontdesk.rules.config import KeywordRule, RulesConfig, TopicRule
from frontdesk.rules.detectors import ExplicitRequestDetector, FrustrationDetector
from frontdesk.rules.feedback import UnhelpfulFeedback
from frontdesk.rules.topics import Topic, TopicMatcher


@dataclass(frozen=True)
class Verdict:
    """A rule fired. ``handoff`` False: it only tags, sets priority, or counts a failure."""

    trigger: str
    reason: str
    priority: str | None = None
    tags: tuple[str, ...] = ()
    collect: str | None = None
    handoff: bool = True
    team: str | None = None
    unhelpful: bool = False


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

    @cached_property
    def feedback(self) -> UnhelpfulFeedback:
        return UnhelpfulFeedback(self.embedder)

    def evaluate(
        self,
        rules: RulesConfig,
        text: str,
        visitor_messages: int,
        vector: np.ndarray | None = None,
        failed_before: int = 0,
    ) -> Verdict | None:
        """The first rule that fires for ``text`` (the visitor's ``visitor_messages``-th,
        after ``failed_before`` unhelpful answers in a row); ``vector`` is ``text`` embedded
        by :attr:`embedder`, when already at hand."""
        if vector is None:
            vector = self.embedder.embed_query(text)
        if rules.explicit_request and self.requests.detect(text, vector):
            return Verdict("explicit_request", "the visitor asked for a person")
        for keyword in rules.keywords:
            if _contains(text, keyword.phrase):
                return _fired("keyword", f"keyword '{keyword.phrase}'", keyword)
        noted: TopicRule | None = None
        if rules.topics:
            match = self._matcher(rules).match(vector)
            if match is not None:
                topic = next(t for t in rules.topics if t.name == match.name)
                if topic.handoff:
                    return _fired("topic", f"topic '{topic.name}'", topic)
                noted = topic
        verdict = self._later_rules(rules, text, visitor_messages, vector, failed_before)
        if noted is None:
            return verdict
        tags = tuple(noted.tags) + (verdict.tags if verdict else ())
        if verdict is None:
            return Verdict(
                "topic",
                f"topic '{noted.name}'",
                noted.priority,
                tags,
                handoff=False,
                team=noted.team,
            )
        return replace(
            verdict,
            priority=verdict.priority or noted.priority,
            tags=tags,
            team=verdict.team or noted.team,
        )

    def _later_rules(
        self,
        rules: RulesConfig,
        text: str,
        visitor_messages: int,
        vector: np.ndarray,
        failed_before: int,
    ) -> Verdict | None:
        if rules.failed_attempts and self.feedback.detect(vector):
            failed = failed_before + 1
            if failed >= rules.failed_attempts:
                return Verdict("failed_attempts", f"{failed} answers in a row did not help")
            return Verdict(
                "failed_attempts",
                "the visitor said the answer did not help",
                handoff=False,
                unhelpful=True,
            )
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


def _fired(trigger: str, reason: str, rule: KeywordRule | TopicRule) -> Verdict:
    return Verdict(trigger, reason, rule.priority, tuple(rule.tags), rule.collect, team=rule.team)


def _contains(text: str, phrase: str) -> bool:
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.lower().split())) + r"(?!\w)"
    return re.search(pattern, text.lower()) is not None
