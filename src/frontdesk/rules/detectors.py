"""Message classifiers for two escalation triggers: asking for a person, and frustration.

Each is a logistic regression over the local embedding, a few cheap hand-made features and the
presence of word n-grams, trained by ``python -m frontdesk.rules.train`` on the labelled
messages in ``data/``; the weights, the n-gram vocabulary and the fixed threshold live in
``data/<name>.model.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from frontdesk.embedder.model import Embedder
from frontdesk.errors import FrontdeskError
from frontdesk.rules.features import (
    FRUSTRATION_FEATURES,
    REQUEST_FEATURES,
    frustration_features,
    request_features,
)
from frontdesk.rules.linear import LinearModel
from frontdesk.rules.ngrams import ngram_features, ngrams

FeatureFn = Callable[[Sequence[str]], np.ndarray]


class RulesModelError(FrontdeskError):
    status = 500
    code = "rules_model"


def data_path(filename: str) -> Path:
    return Path(str(resources.files("frontdesk.rules") / "data" / filename))


class MessageClassifier:
    """Scores messages in [0, 1]; ``detect`` applies the threshold fixed at training time."""

    name: str
    extra_features: FeatureFn
    feature_names: tuple[str, ...]

    def __init__(self, embedder: Embedder, model: LinearModel | None = None):
        self.embedder = embedder
        self.model = model or LinearModel.load(data_path(f"{self.name}.model.json"))
        if self.model.model_id != embedder.model_id:
            raise RulesModelError(
                f"The {self.name} detector was trained on {self.model.model_id} vectors; "
                f"it cannot read vectors from {embedder.model_id}."
            )
        self.ngram_index = {g: i for i, g in enumerate(self.model.vocabulary)}

    @property
    def threshold(self) -> float:
        return self.model.threshold

    def features(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        grams = [ngrams(t) for t in texts]
        return np.hstack(
            [vectors, type(self).extra_features(texts), ngram_features(grams, self.ngram_index)]
        )

    def scores(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """Scores for many messages; pass the vectors when the message is already embedded."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        if vectors is None:
            vectors = self.embedder.embed(texts)
        if vectors.shape != (len(texts), self.embedder.dimension):
            raise RulesModelError(
                f"Expected vectors of shape {(len(texts), self.embedder.dimension)}, "
                f"got {vectors.shape}."
            )
        return self.model.predict(self.features(texts, vectors)).astype(np.float32)

    def detect_many(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        return self.scores(texts, vectors) >= self.threshold

    def score(self, text: str, vector: np.ndarray | None = None) -> float:
        vectors = None if vector is None else np.asarray(vector, dtype=np.float32)[None, :]
        return float(self.scores([text], vectors)[0])

    def detect(self, text: str, vector: np.ndarray | None = None) -> bool:
        return self.score(text, vector) >= self.threshold


class ExplicitRequestDetector(MessageClassifier):
    """Does the visitor ask to be put in touch with a person (human, agent, team, sales...)?"""

    name = "explicit_request"
    extra_features = staticmethod(request_features)
    feature_names = REQUEST_FEATURES


class FrustrationDetector(MessageClassifier):
    """Does the visitor show frustration, anger or exasperation (not just a calm problem)?"""

    name = "frustration"
    extra_features = staticmethod(frustration_features)
    feature_names = FRUSTRATION_FEATURES


DETECTORS: dict[str, type[MessageClassifier]] = {
    cls.name: cls for cls in (ExplicitRequestDetector, FrustrationDetector)
}
