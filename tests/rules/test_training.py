"""The numpy logistic regression, n-grams, the JSON round trip, and the weights' provenance."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from frontdesk.rules.detectors import DETECTORS, data_path
from frontdesk.rules.linear import LinearModel, fit_logistic, sigmoid
from frontdesk.rules.ngrams import fit_vocabulary, ngram_features, ngrams
from frontdesk.rules.train import best_threshold, read_labelled


def test_fit_separates_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-1, 1, (100, 3)), rng.normal(1, 1, (100, 3))])
    y = np.r_[np.zeros(100), np.ones(100)]
    model = fit_logistic(x, y, l2=np.array([1.0, 1.0, 1000.0]), model_id="m")
    p = model.predict(x)
    assert ((p >= 0.5) == y).mean() > 0.85
    assert abs(model.weights[2]) < abs(model.weights[0])  # the heavy penalty shrinks it
    model.threshold, _, _ = best_threshold(p, y)
    model.vocabulary = ("talk to", "!")
    model.save(tmp_path / "m.json")
    loaded = LinearModel.load(tmp_path / "m.json")
    assert loaded.model_id == "m" and loaded.threshold == pytest.approx(model.threshold)
    assert loaded.vocabulary == ("talk to", "!")
    assert np.allclose(loaded.predict(x), p, atol=1e-4)


def test_fit_reaches_the_penalised_optimum_with_more_columns_than_rows() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 150))
    y = (x[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(np.float64)
    l2 = np.full(150, 3.0)
    model = fit_logistic(x, y, l2=l2)
    xs = (x - model.mean) / model.scale
    p = sigmoid(xs @ model.weights + model.bias)
    gradient = xs.T @ (p - y) / len(y) + l2 / len(y) * model.weights
    assert np.abs(gradient).max() < 1e-5 and abs(float(np.mean(p - y))) < 1e-5


def test_ngrams_keep_word_order_edges_and_emoji() -> None:
    grams = ngrams("Talk to SALES!! 😡 ughhhh")
    assert {"talk to", "<s> talk", "to sales", "!", "! !", "😡", "ughh", "ughh </s>"} <= grams
    assert "talk about" in ngrams("let's talk about sales") - ngrams("talk to sales")
    vocabulary = fit_vocabulary([ngrams("talk to sales"), ngrams("talk to a person"), {"x"}])
    assert vocabulary == ("<s> talk", "talk", "talk to", "to")
    columns = ngram_features(
        [ngrams("talk to me"), set()], {g: i for i, g in enumerate(vocabulary)}
    )
    assert columns.tolist() == [[1, 1, 1, 1], [0, 0, 0, 0]]


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_committed_weights_were_trained_on_the_committed_data(name: str) -> None:
    """Retrain (python -m frontdesk.rules.train) whenever a training file changes."""
    model = LinearModel.load(data_path(f"{name}.model.json"))
    train_file = data_path(model.meta["trained_on"])
    texts, labels = read_labelled(train_file)
    assert model.meta["sha256"] == hashlib.sha256(train_file.read_bytes()).hexdigest()
    assert model.meta["messages"] == len(texts) >= 200 and 0 < labels.mean() < 1
    grams = (ngrams(t) for t in texts)
    assert model.vocabulary == fit_vocabulary(grams, model.meta["ngram_min_count"])
    cls = DETECTORS[name]
    assert model.dimension == 384 + len(cls.feature_names) + len(model.vocabulary)
