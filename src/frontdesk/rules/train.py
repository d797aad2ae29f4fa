"""Fit the explicit-request and frustration classifiers on the labelled messages in ``data/``.

    python -m frontdesk.rules.train [--only explicit_request|frustration] [--folds 5]

Only the ``*.train.jsonl`` files are read. The penalties and the decision threshold are
chosen by repeated stratified k-fold cross-validation on those same training messages
(maximising min(precision, recall) of the out-of-fold scores); the final model is then fitted
on all of them and written to ``data/<name>.model.json``. The held-out evaluation sets live in
``bench/rules_data/`` and are never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
from pathlib import Path

import numpy as np

from frontdesk.knowledge.embedder import Embedder, OnnxMiniLM
from frontdesk.rules.detectors import DETECTORS, MessageClassifier, data_path
from frontdesk.rules.linear import LinearModel, fit_logistic

EMBEDDING_PENALTIES = (10.0, 30.0, 100.0, 300.0)
FEATURE_PENALTIES = (1.0, 10.0, 30.0)
THRESHOLDS = np.round(np.arange(0.2, 0.8001, 0.025), 3)
SEEDS = (0, 1, 2)


def read_labelled(path: Path) -> tuple[list[str], np.ndarray]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows], dtype=np.float64)


def precision_recall(detected: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    hits = float((detected & (labels == 1)).sum())
    return hits / max(int(detected.sum()), 1), hits / max(int((labels == 1).sum()), 1)


def stratified_folds(labels: np.ndarray, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(labels), dtype=int)
    for cls in (0, 1):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        fold[idx] = np.arange(len(idx)) % k
    return fold


def out_of_fold(x: np.ndarray, y: np.ndarray, penalty: np.ndarray, k: int) -> np.ndarray:
    """Out-of-fold probabilities averaged over a few shuffles."""
    runs = []
    for seed in SEEDS:
        fold = stratified_folds(y, k, seed)
        p = np.zeros(len(y))
        for i in range(k):
            model = fit_logistic(x[fold != i], y[fold != i], l2=penalty)
            p[fold == i] = model.predict(x[fold == i])
        runs.append(p)
    return np.mean(runs, axis=0)


def best_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(threshold, precision, recall) maximising min(precision, recall), ties to 0.5."""

    def key(t: float) -> tuple[float, float]:
        precision, recall = precision_recall(p >= t, y)
        return min(precision, recall), -abs(t - 0.5)

    t = float(max(THRESHOLDS, key=key))
    precision, recall = precision_recall(p >= t, y)
    return t, precision, recall


def penalties(dims: tuple[int, int], l2_embedding: float, l2_features: float) -> np.ndarray:
    return np.r_[np.full(dims[0], l2_embedding), np.full(dims[1], l2_features)]


def train(cls: type[MessageClassifier], embedder: Embedder, folds: int) -> LinearModel:
    path = data_path(f"{cls.name}.train.jsonl")
    texts, y = read_labelled(path)
    vectors = embedder.embed(texts)
    extra = cls.extra_features(texts)
    x = np.hstack([vectors, extra])
    dims = (vectors.shape[1], extra.shape[1])
    best: tuple[float, float, float, float, float] | None = None
    for l2_embedding, l2_features in itertools.product(EMBEDDING_PENALTIES, FEATURE_PENALTIES):
        penalty = penalties(dims, l2_embedding, l2_features)
        t, precision, recall = best_threshold(out_of_fold(x, y, penalty, folds), y)
        print(
            f"  {cls.name}: l2 {l2_embedding:g}/{l2_features:g}  threshold {t:.3f}  "
            f"cv precision {precision:.3f} recall {recall:.3f}"
        )
        if best is None or min(precision, recall) > min(best[3], best[4]):
            best = (l2_embedding, l2_features, t, precision, recall)
    assert best is not None
    l2_embedding, l2_features, t, precision, recall = best
    model = fit_logistic(
        x, y, l2=penalties(dims, l2_embedding, l2_features), model_id=embedder.model_id
    )
    model.threshold = t
    model.meta = {
        "trained_on": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "messages": len(y),
        "positives": int(y.sum()),
        "features": [f"embedding[{vectors.shape[1]}]", *cls.feature_names],
        "l2": [l2_embedding, l2_features],
        "cv": {"folds": folds, "precision": round(precision, 4), "recall": round(recall, 4)},
    }
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(DETECTORS))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    embedder = OnnxMiniLM()
    for name, cls in DETECTORS.items():
        if args.only and name != args.only:
            continue
        model = train(cls, embedder, args.folds)
        out = data_path(f"{name}.model.json")
        model.save(out)
        cv = model.meta["cv"]
        print(
            f"{name}: threshold {model.threshold:.3f}, cv precision {cv['precision']:.3f} "
            f"recall {cv['recall']:.3f} -> {out}"
        )


if __name__ == "__main__":
    main()
