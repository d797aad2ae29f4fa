"""A standardised logistic-regression model stored as JSON: fitted with numpy, no sklearn."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


@dataclass
class LinearModel:
    """``p = sigmoid(((x - mean) / scale) @ weights + bias)``; ``threshold`` decides."""

    model_id: str
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dimension(self) -> int:
        return int(self.weights.shape[0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(((x - self.mean) / self.scale) @ self.weights + self.bias)

    def save(self, path: Path) -> None:
        body = {
            "model_id": self.model_id,
            "threshold": round(self.threshold, 4),
            "bias": self.bias,
            "meta": self.meta,
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
        }
        path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        body = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            model_id=body["model_id"],
            mean=np.asarray(body["mean"], dtype=np.float32),
            scale=np.asarray(body["scale"], dtype=np.float32),
            weights=np.asarray(body["weights"], dtype=np.float32),
            bias=float(body["bias"]),
            threshold=float(body["threshold"]),
            meta=body.get("meta", {}),
        )


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float | np.ndarray = 1.0,
    steps: int = 50,
    model_id: str = "",
) -> LinearModel:
    """L2-penalised logistic regression on standardised features, by Newton's method.

    ``l2`` may be one penalty per feature, so a few hand-made features can be penalised
    less than the hundreds of embedding dimensions.
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    xs = (x - mean) / scale
    n, d = xs.shape
    xb = np.hstack([xs, np.ones((n, 1))])
    w = np.zeros(d + 1)
    ridge = np.zeros(d + 1)
    ridge[:-1] = np.broadcast_to(np.asarray(l2, dtype=np.float64), (d,)) / n
    for _ in range(steps):
        p = sigmoid(xb @ w)
        grad = xb.T @ (p - y) / n + ridge * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb / n + np.diag(ridge) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return LinearModel(
        model_id=model_id,
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        weights=w[:-1].astype(np.float32),
        bias=float(w[-1]),
    )
