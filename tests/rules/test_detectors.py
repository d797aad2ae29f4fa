"""Explicit-request and frustration detectors, and topic matching, on the real local model."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.errors import InvalidInput
from frontdesk.rules import (
    ExplicitRequestDetector,
    FrustrationDetector,
    RulesModelError,
    Topic,
    TopicMatch,
    TopicMatcher,
)
from frontdesk.rules.features import FRUSTRATION_FEATURES, frustration_features

REQUESTS = [
    "can I talk to someone from your team?",
    "is there a person I could chat with?",
    "agent please",
    "I want a human",
    "put me through to sales",
]
NOT_REQUESTS = [
    "do you have a person who does repairs on weekends?",
    "who is the manager of the service department?",
    "is the agent on your site a bot?",
    "what does your team recommend for a first snowmobile?",
]
FRUSTRATED = [
    "this is useless",
    "you're not helping at all!!",
    "I've asked three times already",
    "worst service ever",
]
CALM = [
    "my sled won't start",
    "the part is broken, can you order a new one?",
    "thanks, that's perfect",
    "what time do you open on saturday?",
]


@pytest.fixture(scope="module")
def requests(embedder: OnnxMiniLM) -> ExplicitRequestDetector:
    return ExplicitRequestDetector(embedder)


@pytest.fixture(scope="module")
def frustration(embedder: OnnxMiniLM) -> FrustrationDetector:
    return FrustrationDetector(embedder)


@pytest.fixture(scope="module")
def topics(embedder: OnnxMiniLM) -> TopicMatcher:
    return TopicMatcher(
        embedder,
        [
            Topic("financing", ("what rate can I get", "monthly payment", "apply for a loan")),
            Topic("test ride", ("can I test ride it", "book a demo ride", "try before I buy")),
            Topic("warranty", ("is it under warranty", "warranty coverage", "extended warranty")),
        ],
    )


@pytest.mark.parametrize("text", REQUESTS)
def test_requests_for_a_person_are_detected(requests: ExplicitRequestDetector, text: str) -> None:
    assert requests.detect(text), requests.score(text)


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_questions_about_people_are_not_requests(
    requests: ExplicitRequestDetector, text: str
) -> None:
    assert not requests.detect(text), requests.score(text)


@pytest.mark.parametrize("text", FRUSTRATED)
def test_frustration_is_detected(frustration: FrustrationDetector, text: str) -> None:
    assert frustration.detect(text), frustration.score(text)


@pytest.mark.parametrize("text", CALM)
def test_calm_messages_even_about_problems_are_not_frustration(
    frustration: FrustrationDetector, text: str
) -> None:
    assert not frustration.detect(text), frustration.score(text)


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("oh good, thanks for the useful link. it's broken", "mock_thanks"),
        ("so am I supposed to wait outside in the rain?", "supposed_to"),
        ("does anyone over there actually read the tickets", "anyone_there"),
        ("you must be joking, cancelled again?", "kidding"),
        ("the shuttle is late again", "again_failed"),
        ("$95 to change a tire?? robbery", "money_outrage"),
        ("I'm sorry, but I'm really disappointed with the repair", "polite_dissatisfied"),
        ("WE FINALLY GOT THE KEYS!!", "caps_excited"),
        ("oops, I meant the 12th", "correction"),
        ("my previous landlord never fixed anything", "elsewhere"),
        ("bit lost with all the options lol", "laugh_no_anger"),
    ],
)
def test_frustration_features_mark_sarcasm_rhetoric_prices_and_lookalikes(
    text: str, feature: str
) -> None:
    row = dict(zip(FRUSTRATION_FEATURES, frustration_features([text])[0], strict=True))
    assert row[feature] > 0, row


def test_calm_price_and_thanks_do_not_look_like_outrage_or_sarcasm() -> None:
    texts = ["is $40 the price for both?", "thanks for the help, see you friday"]
    rows = [dict(zip(FRUSTRATION_FEATURES, r, strict=True)) for r in frustration_features(texts)]
    assert rows[0]["money"] and not rows[0]["money_outrage"]
    assert not rows[1]["mock_thanks"]


def test_batch_scores_reuse_vectors_and_match_single_scores(
    embedder: OnnxMiniLM, requests: ExplicitRequestDetector, frustration: FrustrationDetector
) -> None:
    texts = REQUESTS[:2] + NOT_REQUESTS[:2] + FRUSTRATED[:2]
    vectors = embedder.embed(texts)
    for detector in (requests, frustration):
        batch = detector.scores(texts, vectors)
        assert batch.shape == (len(texts),) and ((batch >= 0) & (batch <= 1)).all()
        single = [detector.score(t, v) for t, v in zip(texts, vectors, strict=True)]
        assert np.allclose(batch, single, atol=1e-6)
        assert list(detector.detect_many(texts, vectors)) == [
            s >= detector.threshold for s in batch
        ]
        assert detector.features(texts, vectors).shape == (len(texts), detector.model.dimension)
    assert requests.scores([]).shape == (0,)


def test_a_detector_refuses_vectors_from_another_model(embedder: OnnxMiniLM) -> None:
    class OtherModel(OnnxMiniLM):
        model_id = "some-other-model"

    other = OtherModel.__new__(OtherModel)
    with pytest.raises(RulesModelError, match="some-other-model"):
        ExplicitRequestDetector(other)
    with pytest.raises(RulesModelError, match="shape"):
        FrustrationDetector(embedder).scores(["hi"], np.zeros((1, 3), dtype=np.float32))


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("what would my monthly payments be on the glacier 850?", "financing"),
        ("does the warranty cover the clutch?", "warranty"),
        ("could I book a demo ride on saturday?", "test ride"),
    ],
)
def test_messages_match_their_topic(topics: TopicMatcher, text: str, topic: str) -> None:
    match = topics.match(text)
    assert match is not None and match.name == topic
    assert topics.threshold <= match.score <= 1.0


@pytest.mark.parametrize(
    "text", ["what time do you close on sunday?", "do you sell pizza?", "where are you located?"]
)
def test_out_of_scope_messages_match_no_topic(topics: TopicMatcher, text: str) -> None:
    assert topics.match(text) is None


def test_topics_match_vectors_in_batches(embedder: OnnxMiniLM, topics: TopicMatcher) -> None:
    vectors = embedder.embed(["apply for a loan", "do you sell pizza?"])
    matches = topics.match_many(vectors)
    assert isinstance(matches[0], TopicMatch) and matches[0].name == "financing"
    assert matches[1] is None
    # One vector or a batch: the same topic, the same score up to float rounding.
    single = topics.match(vectors[0])
    assert single is not None and single.name == matches[0].name
    assert single.score == pytest.approx(matches[0].score, abs=1e-5)
    assert topics.scores(vectors).shape == (2, 3)


def test_topic_matcher_edge_cases(embedder: OnnxMiniLM) -> None:
    assert TopicMatcher(embedder, []).match("anything") is None
    with pytest.raises(InvalidInput):
        Topic("financing", ())
    with pytest.raises(InvalidInput):
        Topic(" ", ("monthly payment",))
    with pytest.raises(InvalidInput):
        TopicMatcher(None, [Topic("financing", ("monthly payment",))])
    vectors_only = TopicMatcher(
        None, [Topic("x", ("a", "b"))], example_vectors=np.eye(2, 4, dtype=np.float32)
    )
    # A quarter best example (1.0), three quarters centroid (cos 45°).
    expected = 0.25 + 0.75 / np.sqrt(2)
    match = vectors_only.match(np.array([1, 0, 0, 0], dtype=np.float32))
    assert match is not None and match.name == "x"
    assert match.score == pytest.approx(expected)
    with pytest.raises(InvalidInput):
        vectors_only.match("text needs an embedder")
