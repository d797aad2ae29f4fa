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
    """``p = sigmoid(((x - mean) / scale) @ weights + bias)``; ``threshold`` decides.

    ``vocabulary`` names the word n-grams whose presence fills the last inputs, if any.
    """

    model_id: str
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)
    vocabulary: tuple[str, ...] = ()

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
            "vocabulary": list(self.vocabulary),
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
            vocabulary=tuple(body.get("vocabulary", ())),
        )


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float | np.ndarray = 1.0,
    steps: int = 50,
    model_id: str = "",
) -> LinearModel:
    """L2-penalised logistic regression on standardised features, by truncated Newton steps.

    ``l2`` may be one penalty per feature, so a few hand-made features can be penalised
    less than the hundreds of embedding dimensions. Each Newton system is solved by
    preconditioned conjugate gradients from Hessian-vector products, so thousands of n-gram
    columns cost no more than a few matrix-vector products per step.
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    xs = (x - mean) / scale
    n, d = xs.shape
    xb = np.hstack([xs, np.ones((n, 1))])
    ridge = np.zeros(d + 1)
    ridge[:-1] = np.broadcast_to(np.asarray(l2, dtype=np.float64), (d,)) / n
    w = np.zeros(d + 1)
    squares = xb * xb
    loss = _objective(xb, y, ridge, w)
    for _ in range(steps):
        p = sigmoid(xb @ w)
        grad = xb.T @ (p - y) / n + ridge * w
        if np.abs(grad).max() < 1e-7:
            break
        curvature = p * (1 - p) / n
        step = _newton_step(xb, curvature, ridge, grad, squares.T @ curvature + ridge + 1e-12)
        # Backtrack when a full step would raise the loss (rare, far from the optimum).
        t = 1.0
        while True:
            trial = _objective(xb, y, ridge, w - t * step)
            if trial <= loss - 1e-4 * t * float(grad @ step) or t < 1e-4:
                break
            t /= 2
        w -= t * step
        loss = trial
    return LinearModel(
        model_id=model_id,
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        weights=w[:-1].astype(np.float32),
        bias=float(w[-1]),
    )


def _objective(xb: np.ndarray, y: np.ndarray, ridge: np.ndarray, w: np.ndarray) -> float:
    z = xb @ w
    return float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(ridge * w * w))


def _newton_step(
    xb: np.ndarray,
    curvature: np.ndarray,
    ridge: np.ndarray,
    grad: np.ndarray,
    diagonal: np.ndarray,
    iterations: int = 250,
) -> np.ndarray:
    """Solve ``(X' diag(curvature) X + diag(ridge)) step = grad`` by Jacobi-preconditioned CG."""
    step = np.zeros_like(grad)
    residual = grad.copy()
    z = residual / diagonal
    direction = z.copy()
    rz = float(residual @ z)
    norm = float(np.linalg.norm(grad))
    tolerance = max(1e-3 * norm * min(1.0, norm) ** 0.5, 1e-12)
    for _ in range(iterations):
        h = xb.T @ (curvature * (xb @ direction)) + ridge * direction
        alpha = rz / float(direction @ h)
        step += alpha * direction
        residual -= alpha * h
        if np.linalg.norm(residual) < tolerance:
            break
        z = residual / diagonal
        rz, previous = float(residual @ z), rz
        direction = z + (rz / previous) * direction
    return step
