"""Answer quality and confidence calibration on the demo agent's labelled questions.

    python bench/answering.py [--questions bench/questions/demo.jsonl] [--threshold 0.4]

Seeds the demo agent through the product path, drafts an answer for every question and
reports, at the threshold: answerable questions answered correctly, unanswerable questions
refused, wrong answers given, and the calibration error of the confidence. It also fits the
two-feature logistic curve behind the confidence (``--fit``), with 5-fold cross-validated
numbers so the fit is not judged on the questions it was fitted to.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import numpy as np

from frontdesk.agent import confidence as conf
from frontdesk.demo.seed import seed_demo
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings

HERE = Path(__file__).resolve().parent


async def collect(args: argparse.Namespace) -> list[dict]:
    runtime = Runtime(Settings(data_dir=args.work))
    workspace = await runtime.start()
    rows = []
    try:
        agent, _ = await seed_demo(runtime, workspace.id)
        for line in args.questions.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            draft = await runtime.answers.draft(agent, item["question"])
            text = (draft.generation.text if draft.generation else "").lower()
            correct = item["answerable"] and any(e in text for e in item["expect"])
            rows.append(
                {
                    **item,
                    "similarity": draft.evidence.similarity,
                    "coverage": draft.evidence.coverage,
                    "correct": bool(correct),
                    "answer": text,
                }
            )
    finally:
        await runtime.close()
    return rows


def features(rows: list[dict]) -> np.ndarray:
    return np.array([[r["similarity"], r["coverage"]] for r in rows])


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> np.ndarray:
    """Weights (w_similarity, w_coverage, bias) by Newton's method with a little L2."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(3)
    ridge = l2 * np.diag([1.0, 1.0, 0.0])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) / len(y) + ridge @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb / len(y) + ridge
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w[:2] + w[2])))


def report(name: str, rows: list[dict], scores: np.ndarray, threshold: float) -> None:
    answer = scores >= threshold
    answerable = np.array([r["answerable"] for r in rows])
    correct = np.array([r["correct"] for r in rows])
    n_ans, n_un = answerable.sum(), (~answerable).sum()
    right = (answer & correct).sum()
    wrong = (answer & ~correct).sum()
    refused_un = (~answer & ~answerable).sum()
    refused = (~answer).sum()
    bins = np.clip((scores * 10).astype(int), 0, 9)
    ece = sum(
        abs(scores[bins == b].mean() - correct[bins == b].mean()) * (bins == b).sum()
        for b in range(10)
        if (bins == b).any()
    ) / len(rows)
    print(f"\n{name} (threshold {threshold:.2f})")
    print(f"  answerable answered correctly   {right}/{n_ans} = {right / n_ans:.3f}")
    print(f"  unanswerable refused (recall)   {refused_un}/{n_un} = {refused_un / n_un:.3f}")
    print(
        f"  refusals that were right (prec) {refused_un}/{refused} = "
        f"{refused_un / max(refused, 1):.3f}"
    )
    print(f"  wrong answers given             {wrong}/{len(rows)} = {wrong / len(rows):.3f}")
    print(f"  expected calibration error      {ece:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, default=HERE / "questions" / "demo.jsonl")
    parser.add_argument("--work", type=Path, default=HERE / ".work" / "answering")
    parser.add_argument("--threshold", type=float, default=0.4)
    parser.add_argument("--fit", action="store_true", help="fit and print new confidence weights")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    rows = asyncio.run(collect(args))
    x = features(rows)
    y = np.array([r["correct"] for r in rows], dtype=float)
    shipped = np.array([conf.WEIGHT_SIMILARITY, conf.WEIGHT_COVERAGE, conf.BIAS])
    print(f"{len(rows)} questions, {int(y.sum())} answerable with a correct draft answer")
    report("shipped confidence", rows, predict(shipped, x), args.threshold)
    if args.fit:
        folds = np.arange(len(rows)) % 5
        held_out = np.zeros(len(rows))
        for k in range(5):
            w = fit_logistic(x[folds != k], y[folds != k])
            held_out[folds == k] = predict(w, x[folds == k])
        report("refitted, 5-fold cross-validated", rows, held_out, args.threshold)
        w = fit_logistic(x, y)
        print(
            f"\nfitted on all: WEIGHT_SIMILARITY={w[0]:.2f} "
            f"WEIGHT_COVERAGE={w[1]:.2f} BIAS={w[2]:.2f}"
        )
    if args.show_errors:
        scores = predict(shipped, x)
        for r, s in zip(rows, scores, strict=True):
            if (s >= args.threshold) != r["correct"]:
                print(
                    f"  [{s:.2f} sim={r['similarity']:.2f} cov={r['coverage']:.2f}] "
                    f"{'ANSWERABLE' if r['answerable'] else 'unanswerable'} "
                    f"{r['question']!r} -> {r['answer'][:100]!r}"
                )


if __name__ == "__main__":
    main()
