"""Escalation rules: semantic detectors (explicit request, frustration) and topic matching."""

from frontdesk.rules.detectors import (
    ExplicitRequestDetector,
    FrustrationDetector,
    MessageClassifier,
    RulesModelError,
)
from frontdesk.rules.topics import Topic, TopicMatch, TopicMatcher

__all__ = [
    "ExplicitRequestDetector",
    "FrustrationDetector",
    "MessageClassifier",
    "RulesModelError",
    "Topic",
    "TopicMatch",
    "TopicMatcher",
]
