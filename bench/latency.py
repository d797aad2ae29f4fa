"""`ask` latency over a 10,000-chunk knowledge base, and embedding throughput vs raw onnxruntime.

    python bench/latency.py [--chunks 10000] [--queries 200] [--work DIR]

The knowledge base is SciFact's abstracts (and, past them, their sentences as extra records)
ingested through the product path into one agent; the questions are SciFact claims. Each
question is asked three times, each pipeline first in turn: as it is, without its
re-ranking stage, and as it was before units' vectors were stored at ingestion (every unit
the extractive reply compares with the question embedded at the ask), so the old and the
new are measured in the same run. The embedding comparison runs the same passages through
Frontdesk's embedder and through a plain onnxruntime loop (same model, tokenizer and batch
size, input order as given).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

from beirdata import read_corpus, read_queries
from frontdesk.agents import service
from frontdesk.answering.pipeline import AnswerService
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.errors import NotFound
from frontdesk.knowledge.hits import Hit
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "scifact"


class EmbeddedAtAsk(AnswerService):
    """The answer pipeline before unit vectors were stored: each ask embeds its units."""

    def _unit_vectors(self, hits: list[Hit]) -> Callable[[list[str]], Awaitable[np.ndarray]]:
        async def vectors(texts: list[str]) -> np.ndarray:
            return await asyncio.to_thread(self._embedder().embed, texts)

        return vectors


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


async def prepare(args: argparse.Namespace, runtime: Runtime, workspace_id: str) -> str:
    corpus = read_corpus(args.data)
    folder = args.work / "kb"
    folder.mkdir(parents=True, exist_ok=True)
    docs = list(corpus.items())
    async with runtime.db.transaction() as session:
        try:
            agent = await service.find_agent(session, workspace_id, "latency")
        except NotFound:
            agent = await service.create_agent(session, workspace_id, "latency")
    total = 0
    i = 0
    # One abstract per file; then, to pass the target, each abstract's sentences as Q&A-free
    # plain-text files (distinct content, so the index really holds `--chunks` chunks).
    while total < args.chunks and i < 2 * len(docs):
        doc_id, (title, text) = docs[i % len(docs)]
        if i < len(docs):
            name, body = f"{doc_id}.md", f"# {title}\n\n{text}\n"
        else:
            name, body = f"{doc_id}-lead.txt", f"{title}. {text[: len(text) // 2]}\n"
        path = folder / name
        if not path.exists():
            path.write_text(body, encoding="utf-8")
        async with runtime.db.transaction() as session:
            source = await runtime.knowledge.add_path(session, agent, path)
        result = await runtime.knowledge.ingest(source.id)
        total += result.chunks
        i += 1
        if i % 1000 == 0:
            print(f"  {i} files, {total} chunks", file=sys.stderr)
    print(f"  knowledge base: {total} chunks", file=sys.stderr)
    return agent.id


async def measure_ask(args: argparse.Namespace) -> dict[str, float]:
    # The retrieval benchmark's data dir: its embedding cache already holds the abstracts.
    runtime = Runtime(Settings(data_dir=args.data_dir))
    workspace = await runtime.start()
    try:
        agent_id = await prepare(args, runtime, workspace.id)
        async with runtime.db.session() as session:
            agent = await service.get_agent(session, workspace.id, agent_id)
        questions = list(read_queries(args.data).values())[: args.queries]
        old = EmbeddedAtAsk(
            runtime.db, runtime.searcher, runtime.get_embedder, runtime.generator_for
        )
        for question in questions[:10]:  # warm caches (vector matrix, model)
            await runtime.answers.ask(agent, question)
        # The pipeline, without the re-ranking stage, and as it was: question by question.
        depth = runtime.searcher.reranker.depth
        pipelines = {"new": (runtime.answers, depth), "no_rerank": (runtime.answers, 0)}
        pipelines["old"] = (old, depth)
        latencies: dict[str, list[float]] = {name: [] for name in pipelines}
        names = list(pipelines)
        for i, question in enumerate(questions):
            # Each goes first in turn: the first to ask a question warms the caches for the rest.
            for name in names[i % len(names) :] + names[: i % len(names)]:
                answers, setting = pipelines[name]
                runtime.searcher.reranker.depth = setting
                started = time.perf_counter()
                await answers.ask(agent, question)
                latencies[name].append((time.perf_counter() - started) * 1000)
        runtime.searcher.reranker.depth = depth
        async with runtime.db.session() as session:
            from frontdesk.knowledge.repository import vector_signature

            chunks = (await vector_signature(session, agent_id))[0]
    finally:
        await runtime.close()
    return {
        "chunks": chunks,
        "p50": percentile(latencies["new"], 50),
        "p95": percentile(latencies["new"], 95),
        "mean": statistics.fmean(latencies["new"]),
        "p50_without_rerank": percentile(latencies["no_rerank"], 50),
        "p95_without_rerank": percentile(latencies["no_rerank"], 95),
        "p50_old": percentile(latencies["old"], 50),
        "p95_old": percentile(latencies["old"], 95),
        "mean_old": statistics.fmean(latencies["old"]),
    }


def raw_session(batch_size: int):
    """A straightforward onnxruntime loop over the same model: default options, given order."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from frontdesk.embedder.model import minilm_paths

    model, tok_path = minilm_paths()
    tokenizer = Tokenizer.from_file(str(tok_path))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])

    def embed(texts: list[str]) -> None:
        for start in range(0, len(texts), batch_size):
            enc = tokenizer.encode_batch(texts[start : start + batch_size])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            (hidden,) = session.run(None, feeds)
            pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
            pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    return embed


def measure_embedding(args: argparse.Namespace) -> dict[str, float]:
    """Alternate the two, several rounds, and compare the best round of each."""
    corpus = read_corpus(args.data)
    docs = list(corpus.values())
    # Real knowledge is a mix of lengths: rows and Q&A pairs are short, pages are long.
    texts = [
        f"{t}\n{x}" if i % 2 or args.uniform else t
        for i, (t, x) in enumerate(docs[: args.passages])
    ]
    ours = OnnxMiniLM(batch_size=32)
    raw = raw_session(32)
    ours.embed(texts[:32])
    raw(texts[:32])
    best_ours = best_raw = 0.0
    for _ in range(args.rounds):
        started = time.perf_counter()
        ours.embed(texts)
        best_ours = max(best_ours, len(texts) / (time.perf_counter() - started))
        started = time.perf_counter()
        raw(texts)
        best_raw = max(best_raw, len(texts) / (time.perf_counter() - started))
    return {"frontdesk": best_ours, "raw": best_raw, "ratio": best_ours / best_raw}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=HERE / ".work" / "latency")
    parser.add_argument("--data-dir", type=Path, default=HERE / ".work" / "retrieval" / "data")
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--passages", type=int, default=512, help="passages for the embedding comparison"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating embedding rounds")
    parser.add_argument("--skip-ask", action="store_true")
    parser.add_argument(
        "--uniform", action="store_true", help="embed only long passages (no length mix)"
    )
    args = parser.parse_args()
    report: dict[str, object] = {}
    if not args.skip_ask:
        ask = asyncio.run(measure_ask(args))
        report["ask_ms"] = ask
        print(
            f"ask over {ask['chunks']:.0f} chunks (extractive): p50 {ask['p50']:.1f} ms, "
            f"p95 {ask['p95']:.1f} ms, mean {ask['mean']:.1f} ms; without re-ranking "
            f"p50 {ask['p50_without_rerank']:.1f} ms, p95 {ask['p95_without_rerank']:.1f} ms "
            f"(p95 ratio {ask['p95'] / ask['p95_without_rerank']:.2f}x); before unit vectors "
            f"were stored (same run) p50 {ask['p50_old']:.1f} ms, p95 {ask['p95_old']:.1f} ms, "
            f"mean {ask['mean_old']:.1f} ms"
        )
    emb = measure_embedding(args)
    report["embedding_per_s"] = emb
    print(
        f"embedding throughput: Frontdesk {emb['frontdesk']:.1f}/s vs raw onnxruntime "
        f"{emb['raw']:.1f}/s = {emb['ratio']:.2f}x"
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
