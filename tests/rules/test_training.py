"""The numpy logistic regression, its JSON round trip, and the committed weights' provenance."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from frontdesk.rules.detectors import DETECTORS, data_path
from frontdesk.rules.linear import LinearModel, fit_logistic
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
    model.save(tmp_path / "m.json")
    loaded = LinearModel.load(tmp_path / "m.json")
    assert loaded.model_id == "m" and loaded.threshold == pytest.approx(model.threshold)
    assert np.allclose(loaded.predict(x), p, atol=1e-4)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_committed_weights_were_trained_on_the_committed_data(name: str) -> None:
    """Retrain (python -m frontdesk.rules.train) whenever a training file changes."""
    model = LinearModel.load(data_path(f"{name}.model.json"))
    train_file = data_path(model.meta["trained_on"])
    texts, labels = read_labelled(train_file)
    assert model.meta["sha256"] == hashlib.sha256(train_file.read_bytes()).hexdigest()
    assert model.meta["messages"] == len(texts) >= 200 and 0 < labels.mean() < 1
    cls = DETECTORS[name]
    assert model.dimension == 384 + len(cls.feature_names)
