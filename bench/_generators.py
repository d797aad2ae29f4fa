"""Several generators on the same questions, through the product's answer pipeline.

Each business's agent is switched to each generator through the agent service, as an owner
would (``generator`` and ``generator_config``), and every sampled question is drafted and
decided by ``runtime.answers``: retrieval, the generator, the confidence and the grounding
guard run as they do for a visitor. Only two things are the bench's own:

- the calibration ``decide`` applies: the product's shipped one, or ("held-out") the one
  fitted on the other businesses, as the re-ranker already is: the confidence's weights
  swapped in while ``decide`` runs, the agent's threshold set through the agent service;
- a clock around the generator (_clock.py), so first-token time and tokens/s come from the
  very call that wrote the judged answer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from _clock import Stopwatch, timed_generators, watch_model

GENERATORS = ("extractive", "local", "openai")
# The workspace secret an ``openai`` agent names; its value comes from the environment.
OPENAI_SECRET = "BENCH_OPENAI_KEY"
OUTCOMES = ("right", "refused", "wrong", "refused_wrongly")


# ---- which questions --------------------------------------------------------------------


def spread(items: list[dict], k: int) -> list[dict]:
    """``k`` items evenly spaced through ``items`` (the middle of each of k equal stretches)."""
    if k <= 0 or not items:
        return []
    k = min(k, len(items))
    return [items[(2 * j + 1) * len(items) // (2 * k)] for j in range(k)]


def sample(items: list[dict], limit: int | None) -> list[dict]:
    """At most ``limit`` questions, answerable and unanswerable in the file's proportion.

    Fixed by the file alone (evenly spaced within each group, file order kept), so every
    generator and every run gets the same questions, whatever they answered before.
    """
    if limit is None or limit >= len(items):
        return list(items)
    unanswerable = [item for item in items if not item["answerable"]]
    answerable = [item for item in items if item["answerable"]]
    k_un = round(limit * len(unanswerable) / len(items))
    k_un = min(max(k_un, 1 if unanswerable and limit > 1 else 0), len(unanswerable))
    chosen = {id(item) for item in spread(answerable, limit - k_un) + spread(unanswerable, k_un)}
    return [item for item in items if id(item) in chosen]


# ---- the agents ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, packaged_model: Path) -> None:
    parser.add_argument(
        "--generators",
        default="extractive",
        help="comma-separated: extractive (always, the baseline), local, openai",
    )
    parser.add_argument(
        "--limit", type=int, help="questions per business for --generators (default: all)"
    )
    parser.add_argument(
        "--model", type=Path, default=packaged_model, help="the local generator's GGUF file"
    )
    parser.add_argument("--threads", type=int, default=2, help="the local generator's threads")
    parser.add_argument(
        "--openai-base-url",
        default=os.environ.get("FRONTDESK_BENCH_OPENAI_BASE_URL"),
        help="an OpenAI-compatible API root (or FRONTDESK_BENCH_OPENAI_BASE_URL); "
        "its key from FRONTDESK_BENCH_OPENAI_KEY",
    )
    parser.add_argument(
        "--openai-model",
        default=os.environ.get("FRONTDESK_BENCH_OPENAI_MODEL"),
        help="the model's name there (or FRONTDESK_BENCH_OPENAI_MODEL)",
    )


@dataclass(frozen=True)
class Choice:
    """A generator and the settings an owner would give it."""

    name: str
    config: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.name == "local":
            path = self.config["model_path"]
            size = os.path.getsize(path) / 1e6
            return (
                f"local: {os.path.basename(path)} ({size:.0f} MB), {self.config['threads']} threads"
            )
        if self.name == "openai":
            return f"openai: {self.config['model']} at {self.config['base_url']}"
        return "extractive: sentences taken from the passages (the default)"


def choices(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[Choice]:
    """Extractive, then each generator asked for, with the settings an owner would give it."""
    if args.limit is not None and args.limit < 1:
        parser.error("--limit is at least 1")
    wanted = [name.strip() for name in args.generators.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(GENERATORS))
    if unknown:
        parser.error(f"unknown generator {unknown[0]}; one of {', '.join(GENERATORS)}")
    picked = [Choice("extractive")]
    if "local" in wanted:
        if not args.model.is_file():
            parser.error(
                f"no model at {args.model}: run python scripts/fetch_test_model.py "
                "or give --model FILE.gguf"
            )
        picked.append(Choice("local", {"model_path": str(args.model), "threads": args.threads}))
    if "openai" in wanted:
        if not args.openai_base_url or not args.openai_model:
            parser.error("the openai generator needs --openai-base-url and --openai-model")
        config = {"base_url": args.openai_base_url, "model": args.openai_model}
        if os.environ.get("FRONTDESK_BENCH_OPENAI_KEY"):
            config["api_key_secret"] = OPENAI_SECRET
        picked.append(Choice("openai", config))
    return picked


async def configure(runtime: Any, workspace_id: str, agent_id: str, changes: dict) -> Any:
    """The agent with ``changes`` saved through the agent service (checked as any update)."""
    from frontdesk.agents import service

    async with runtime.changes() as session:
        agent = await service.get_agent(session, workspace_id, agent_id)
        return await service.update_agent(session, agent, changes)


async def prepare_openai(runtime: Any, workspace_id: str, base_url: str, key: str | None) -> None:
    """What an admin does before pointing agents at an endpoint: store the key, allow the host."""
    from frontdesk.vault.hosts import allow_host
    from frontdesk.vault.service import set_secret

    async with runtime.changes() as session:
        if key:
            await set_secret(session, runtime.cipher, workspace_id, OPENAI_SECRET, key)
        await allow_host(session, workspace_id, urlsplit(base_url).netloc)


@contextlib.contextmanager
def confidence_weights(weights: np.ndarray | None, names: list[str]) -> Iterator[None]:
    """The confidence model ``decide`` applies: fitted ``weights`` (then the bias), or the
    shipped one when None."""
    from frontdesk.answering import confidence

    if weights is None:
        yield
        return
    saved = confidence.WEIGHTS, confidence.BIAS
    confidence.WEIGHTS = dict(zip(names, (float(w) for w in weights[:-1]), strict=True))
    confidence.BIAS = float(weights[-1])
    try:
        yield
    finally:
        confidence.WEIGHTS, confidence.BIAS = saved


# (confidence weights or None for the shipped ones, the agent's threshold) per business
Calibration = dict[str, tuple[np.ndarray | None, float]]


def outcome(answerable: bool, answered: bool, right: bool) -> str:
    if answered:
        return "right" if right else "wrong"
    return "refused_wrongly" if answerable else "refused"


async def compare(
    runtime: Any,
    workspace_id: str,
    agents: dict[str, Any],
    items: dict[str, list[dict]],
    choices: list[Choice],
    rerankers: dict[str, np.ndarray] | None,
    calibrations: dict[str, Calibration],
    feature_names: list[str],
    judge: Callable[[dict, str], bool],
) -> tuple[list[dict], list[dict]]:
    """Every sampled question through every generator: (verdict rows, timing rows)."""
    watch = Stopwatch()
    undo = timed_generators(runtime, watch)
    verdicts, timings = [], []
    try:
        for choice in choices:
            if choice.name == "local":
                watch_model(choice.config["model_path"], watch)
            for business, agent in agents.items():
                started = time.perf_counter()
                changes = {"generator": choice.name, "generator_config": choice.config}
                agent = await configure(runtime, workspace_id, agent.id, changes)
                if rerankers is not None:
                    runtime.searcher.reranker.weights = rerankers[business]
                drafts = []
                for item in items[business]:
                    draft = await runtime.answers.draft(agent, item["question"])
                    timing = watch.take()
                    drafts.append((item, draft))
                    text = draft.generation.text if draft.generation else ""
                    timings.append(
                        {
                            "generator": choice.name,
                            "business": business,
                            "called": timing is not None,
                            "first": timing.first if timing else None,
                            "rate": timing.rate if timing else None,
                            "total": timing.total if timing else None,
                            "tokens": len(timing.tokens) if timing else 0,
                            "fallback": bool(draft.fallback),
                            "cited": bool(draft.cited),
                            "words": len(text.split()),
                        }
                    )
                for label, calibration in calibrations.items():
                    weights, threshold = calibration[business]
                    agent = await configure(
                        runtime, workspace_id, agent.id, {"confidence_threshold": threshold}
                    )
                    with confidence_weights(weights, feature_names):
                        for item, draft in drafts:
                            reply = runtime.answers.decide(agent, draft)
                            answer = reply.answer if reply.answered else ""
                            verdicts.append(
                                {
                                    "generator": choice.name,
                                    "business": business,
                                    "calibration": label,
                                    "question": item["question"],
                                    "answerable": bool(item["answerable"]),
                                    "outcome": outcome(
                                        bool(item["answerable"]),
                                        reply.answered,
                                        reply.answered and judge(item, answer),
                                    ),
                                    # A model's reply refused although confident: the
                                    # grounding guard's doing.
                                    "guarded": not reply.answered
                                    and draft.generator != "extractive"
                                    and bool(draft.generation and draft.generation.text)
                                    and reply.confidence >= threshold,
                                    "draft": draft.generation.text if draft.generation else "",
                                    "reason": reply.handoff.reason or "",
                                }
                            )
                print(
                    f"  {choice.name} {business}: {len(drafts)} questions in "
                    f"{time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        undo()
    return verdicts, timings


# ---- reporting ----------------------------------------------------------------------------


def counts(rows: list[dict]) -> dict[str, int]:
    found = {name: sum(r["outcome"] == name for r in rows) for name in OUTCOMES}
    return {
        "n": len(rows),
        "answerable": sum(r["answerable"] for r in rows),
        "unanswerable": sum(not r["answerable"] for r in rows),
        "guarded": sum(r["guarded"] for r in rows),
        **found,
    }


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} {part / whole:.0%}" if whole else "-"


COLUMNS = (
    f"{'generator':10} {'business':16} {'n':>4} {'right':>12} {'refused':>12} {'wrong':>12} "
    f"{'ref. wrongly':>13} {'guard':>5}"
)


def quality_line(generator: str, business: str, c: dict[str, int]) -> str:
    return (
        f"{generator:10} {business:16} {c['n']:>4} {_share(c['right'], c['answerable']):>12} "
        f"{_share(c['refused'], c['unanswerable']):>12} {_share(c['wrong'], c['n']):>12} "
        f"{_share(c['refused_wrongly'], c['answerable']):>13} {c['guarded']:>5}"
    )


def verdict(baseline: dict[str, int], other: dict[str, int], name: str) -> list[str]:
    """The issue's target, plainly: refuse at least as well, answer at least as many right."""
    refuses = other["refused"] >= baseline["refused"]
    answers = other["right"] >= baseline["right"]
    return [
        f"{'PASS' if refuses else 'FAIL'}  {name} refuses at least as well as extractive: "
        f"refused {other['refused']}/{other['unanswerable']} unanswerable, extractive "
        f"{baseline['refused']}/{baseline['unanswerable']}",
        f"{'PASS' if answers else 'FAIL'}  {name} answers at least as many right: "
        f"{other['right']}/{other['answerable']} answerable, extractive "
        f"{baseline['right']}/{baseline['answerable']}",
    ]


def quality_table(title: str, rows: list[dict], demo: str) -> None:
    print(f"\n{title}")
    print(
        "  right = answerable answered right; refused = unanswerable refused; wrong = answered "
        "but not right (an unanswerable one included), of all;\n  ref. wrongly = answerable "
        "refused; guard = refused by the grounding guard although confident"
    )
    print("  " + COLUMNS)
    generators = list(dict.fromkeys(r["generator"] for r in rows))
    totals = {}
    for generator in generators:
        mine = [r for r in rows if r["generator"] == generator]
        for business in sorted({r["business"] for r in mine}):
            picked = [r for r in mine if r["business"] == business]
            print("  " + quality_line(generator, business, counts(picked)))
        bank = [r for r in mine if r["business"] != demo]
        if bank and len(bank) < len(mine):
            print("  " + quality_line(generator, "ALL (bank)", counts(bank)))
        totals[generator] = counts(mine)
        print("  " + quality_line(generator, "ALL", totals[generator]))
    baseline = totals.get("extractive")
    if baseline is None:
        return
    for generator in generators:
        if generator != "extractive":
            for line in verdict(baseline, totals[generator], generator):
                print("  " + line)


def _p(values: list[float], q: float) -> str:
    if not values:
        return "-"
    seconds = float(np.percentile(values, q))
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def speed_table(rows: list[dict]) -> None:
    print(
        f"\nthe generators' replies (load average {os.getloadavg()[0]:.2f}); first token: from "
        "the call to the first token the model wrote\n  (- for a generator that writes its "
        "reply at once or is not streamed by the pipeline); cited: replies citing a passage given"
    )
    print(
        f"  {'generator':10} {'replies':>7} {'first p50':>9} {'p90':>7} {'tokens/s':>8} "
        f"{'reply p50':>9} {'p90':>7} {'tokens':>6} {'cited':>6} {'fell back':>9}"
    )
    for generator in dict.fromkeys(r["generator"] for r in rows):
        mine = [r for r in rows if r["generator"] == generator and r["called"]]
        firsts = [r["first"] for r in mine if r["first"] is not None]
        rates = [r["rate"] for r in mine if r["rate"] is not None]
        totals = [r["total"] for r in mine if r["total"] is not None]
        tokens = [r["tokens"] for r in mine if r["tokens"]]
        rate = f"{statistics.median(rates):.1f}" if rates else "-"
        written = f"{statistics.median(tokens):.0f}" if tokens else "-"
        print(
            f"  {generator:10} {len(mine):>7} {_p(firsts, 50):>9} {_p(firsts, 90):>7} "
            f"{rate:>8} {_p(totals, 50):>9} {_p(totals, 90):>7} {written:>6} "
            f"{sum(r['cited'] for r in mine):>6} {sum(r['fallback'] for r in mine):>9}"
        )


def report(out: dict, limit: int | None, max_wrong: float, demo: str, show: bool) -> None:
    verdicts = out["verdicts"]
    labels = list(dict.fromkeys(r["calibration"] for r in verdicts))
    first = [r for r in verdicts if r["calibration"] == labels[0]]
    per_generator = len(first) // len({r["generator"] for r in first})
    questions = f"the same {per_generator} questions"
    questions += f" (at most {limit} per business, stratified)" if limit else ""
    shipped = ", ".join(f"{t:.2f}" for t in sorted(set(out["thresholds"].values())))
    titles = {
        "held-out": f"generators on {questions}, calibrated as above: confidence and "
        f"threshold (<= {max_wrong:.0%} wrong) fitted on the other businesses",
        "shipped": f"generators on {questions}, the shipped confidence and the agents' "
        f"threshold ({shipped})",
    }
    print("\ngenerators: " + "; ".join(out["generators"]))
    for label in labels:
        quality_table(titles[label], [r for r in verdicts if r["calibration"] == label], demo)
    speed_table(out["timings"])
    if show:
        show_wrong(first)


def show_wrong(rows: list[dict]) -> None:
    print("\nmodel replies answered wrongly or refused by the guard")
    for r in rows:
        if r["generator"] == "extractive" or not (r["outcome"] == "wrong" or r["guarded"]):
            continue
        kind = f"GUARD ({r['reason']})" if r["guarded"] else "WRONG"
        print(
            f"  [{r['generator']} {r['business']}] {kind} {r['question']!r}\n"
            f"      -> {r['draft'][:200]!r}"
        )
