"""Fit the explicit-request and frustration classifiers on the labelled messages in ``data/``.

    python -m frontdesk.rules.train [--only explicit_request|frustration] [--folds 5]

Only the ``*.train.jsonl`` files are read. The inputs are the MiniLM vector, the hand-made
features of ``features.py`` and the presence of word n-grams seen in at least two training
messages (``ngrams.py``). The three penalties and the decision threshold are chosen by repeated
stratified k-fold cross-validation on those same training messages (maximising min(precision,
recall) of the out-of-fold scores, ties to the lower log loss), with the n-gram vocabulary
refitted inside every fold; the final model is then fitted on all of them and written to
``data/<name>.model.json``. The held-out evaluation sets live in ``bench/rules_data/`` and are
never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from frontdesk.embedder.model import Embedder, OnnxMiniLM
from frontdesk.rules.detectors import DETECTORS, MessageClassifier, data_path
from frontdesk.rules.linear import LinearModel, fit_logistic
from frontdesk.rules.ngrams import fit_vocabulary, ngram_features, ngrams

EMBEDDING_PENALTIES = (10.0, 30.0, 100.0)
FEATURE_PENALTIES = (1.0, 3.0)
NGRAM_PENALTIES = (10.0, 30.0)
NGRAM_MIN_COUNT = 2
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


@dataclass
class Inputs:
    """A training set's dense columns (embedding, hand-made features) and n-grams."""

    dense: np.ndarray
    grams: list[set[str]]
    extra: int

    def design(self, rows: np.ndarray, vocabulary: tuple[str, ...]) -> np.ndarray:
        index = {g: i for i, g in enumerate(vocabulary)}
        counts = ngram_features([self.grams[r] for r in rows], index)
        return np.hstack([self.dense[rows], counts])

    def penalty(self, vocabulary: int, l2: tuple[float, float, float]) -> np.ndarray:
        embedding = self.dense.shape[1] - self.extra
        return np.concatenate(
            [np.full(embedding, l2[0]), np.full(self.extra, l2[1]), np.full(vocabulary, l2[2])]
        )


@dataclass
class Fold:
    train: np.ndarray
    test: np.ndarray
    vocabulary: tuple[str, ...]
    x_train: np.ndarray
    x_test: np.ndarray


def folds(inputs: Inputs, y: np.ndarray, k: int) -> list[list[Fold]]:
    """k folds for each seed, the n-gram vocabulary fitted on each fold's training part."""
    runs = []
    for seed in SEEDS:
        fold = stratified_folds(y, k, seed)
        run = []
        for i in range(k):
            train, test = np.flatnonzero(fold != i), np.flatnonzero(fold == i)
            vocabulary = fit_vocabulary((inputs.grams[r] for r in train), NGRAM_MIN_COUNT)
            x_train, x_test = inputs.design(train, vocabulary), inputs.design(test, vocabulary)
            run.append(Fold(train, test, vocabulary, x_train, x_test))
        runs.append(run)
    return runs


def out_of_fold(
    inputs: Inputs, y: np.ndarray, runs: list[list[Fold]], l2: tuple[float, float, float]
) -> np.ndarray:
    """Out-of-fold probabilities averaged over a few shuffles."""
    scores = []
    for run in runs:
        p = np.zeros(len(y))
        for fold in run:
            penalty = inputs.penalty(len(fold.vocabulary), l2)
            model = fit_logistic(fold.x_train, y[fold.train], l2=penalty)
            p[fold.test] = model.predict(fold.x_test)
        scores.append(p)
    return np.mean(scores, axis=0)


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def best_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(threshold, precision, recall) maximising min(precision, recall), ties to 0.5."""

    def key(t: float) -> tuple[float, float]:
        precision, recall = precision_recall(p >= t, y)
        return min(precision, recall), -abs(t - 0.5)

    t = float(max(THRESHOLDS, key=key))
    precision, recall = precision_recall(p >= t, y)
    return t, precision, recall


def train(cls: type[MessageClassifier], embedder: Embedder, k: int) -> LinearModel:
    path = data_path(f"{cls.name}.train.jsonl")
    texts, y = read_labelled(path)
    vectors = embedder.embed(texts)
    extra = cls.extra_features(texts)
    inputs = Inputs(np.hstack([vectors, extra]), [ngrams(t) for t in texts], extra.shape[1])
    runs = folds(inputs, y, k)
    best: tuple[tuple[float, float], tuple[float, float, float], float, float, float, float] | None
    best = None
    for l2 in itertools.product(EMBEDDING_PENALTIES, FEATURE_PENALTIES, NGRAM_PENALTIES):
        p = out_of_fold(inputs, y, runs, l2)
        t, precision, recall = best_threshold(p, y)
        loss = log_loss(p, y)
        print(
            f"  {cls.name}: l2 {'/'.join(f'{v:g}' for v in l2)}  threshold {t:.3f}  "
            f"cv precision {precision:.3f} recall {recall:.3f} log loss {loss:.3f}",
            flush=True,
        )
        key = (min(precision, recall), -loss)
        if best is None or key > best[0]:
            best = (key, l2, t, precision, recall, loss)
    assert best is not None
    _, l2, t, precision, recall, loss = best
    vocabulary = fit_vocabulary(inputs.grams, NGRAM_MIN_COUNT)
    model = fit_logistic(
        inputs.design(np.arange(len(y)), vocabulary),
        y,
        l2=inputs.penalty(len(vocabulary), l2),
        model_id=embedder.model_id,
    )
    model.threshold = t
    model.vocabulary = vocabulary
    model.meta = {
        "trained_on": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "messages": len(y),
        "positives": int(y.sum()),
        "features": [
            f"embedding[{vectors.shape[1]}]",
            *cls.feature_names,
            f"ngrams[{len(vocabulary)}]",
        ],
        "ngram_min_count": NGRAM_MIN_COUNT,
        "l2": list(l2),
        "cv": {
            "folds": k,
            "seeds": len(SEEDS),
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "log_loss": round(loss, 4),
        },
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
