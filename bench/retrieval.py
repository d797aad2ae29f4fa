"""Retrieval quality on a BEIR dataset through Frontdesk's own ingestion and search path.

Each corpus document is written as a Markdown file and ingested like any user file
(loader -> chunking -> embedding with cache -> FTS5 + vectors); each query runs through
the product's searcher in five modes (the fused hybrid with and without re-ranking).
Document score = best chunk score.

    python bench/retrieval.py [--data ../shared/data/scifact] [--qrels FILE] [--work DIR]

The work directory keeps the database (and its embedding cache) between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from beirdata import ndcg_at, read_corpus, read_qrels, read_queries, recall_at
from frontdesk.agents import service
from frontdesk.errors import NotFound
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "scifact"
MODES = ("lexical", "vector", "rrf", "fused", "hybrid")
LABELS = {
    "lexical": "BM25 (FTS5)",
    "vector": "vectors (MiniLM int8)",
    "rrf": "plain RRF (k=60)",
    "fused": "hybrid, fused only",
    "hybrid": "hybrid + re-rank (Frontdesk)",
}


def write_corpus(corpus: dict[str, tuple[str, str]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, (title, text) in corpus.items():
        path = folder / f"{doc_id}.md"
        body = f"# {title.strip() or doc_id}\n\n{text.strip()}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != body:
            path.write_text(body, encoding="utf-8")


async def ingest(runtime: Runtime, workspace_id: str, folder: Path, agent_name: str) -> str:
    async with runtime.db.transaction() as session:
        try:
            agent = await service.find_agent(session, workspace_id, agent_name)
        except NotFound:
            agent = await service.create_agent(session, workspace_id, agent_name)
        files = sorted(folder.glob("*.md"))
        sources = [await runtime.knowledge.add_path(session, agent, f) for f in files]
    started = time.perf_counter()
    embedded = skipped = failed = 0
    for i, source in enumerate(sources, start=1):
        result = await runtime.knowledge.ingest(source.id)
        embedded += result.embedded
        skipped += result.skipped
        failed += result.status == "failed"
        if i % 500 == 0 or i == len(sources):
            print(
                f"  ingested {i}/{len(sources)} docs ({embedded} chunks embedded, "
                f"{skipped} unchanged, {failed} failed) in {time.perf_counter() - started:.0f}s",
                file=sys.stderr,
            )
    return agent.id


async def evaluate(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    corpus = read_corpus(args.data)
    queries = read_queries(args.data)
    qrels = read_qrels(args.qrels)
    qrels = {q: rel for q, rel in qrels.items() if q in queries}
    if args.limit:
        qrels = dict(list(qrels.items())[: args.limit])
    write_corpus(corpus, args.work / "corpus")
    settings = Settings(data_dir=args.work / "data")
    runtime = Runtime(settings)
    workspace = await runtime.start()
    agent_id = await ingest(runtime, workspace.id, args.work / "corpus", "beir")
    results: dict[str, dict[str, float]] = {}
    try:
        for mode in MODES:
            ndcgs, recalls, latencies = [], [], []
            for qid, relevant in qrels.items():
                started = time.perf_counter()
                async with runtime.db.session() as session:
                    hits = await runtime.searcher.search(
                        session,
                        agent_id,
                        queries[qid],
                        k=args.depth,
                        mode="hybrid" if mode == "fused" else mode,
                        rerank=mode != "fused",
                    )
                latencies.append(time.perf_counter() - started)
                ranking: list[str] = []
                for hit in hits:
                    doc_id = Path(hit.source).stem
                    if doc_id not in ranking:
                        ranking.append(doc_id)
                ndcgs.append(ndcg_at(ranking, relevant, 10))
                recalls.append(recall_at(ranking, relevant, 10))
            results[mode] = {
                "ndcg@10": statistics.fmean(ndcgs),
                "recall@10": statistics.fmean(recalls),
                "ms_per_query": 1000 * statistics.fmean(latencies),
            }
    finally:
        await runtime.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="BEIR folder (corpus.jsonl, queries.jsonl)"
    )
    parser.add_argument(
        "--qrels", type=Path, default=None, help="qrels TSV (default DATA/qrels/train.tsv)"
    )
    parser.add_argument(
        "--work", type=Path, default=HERE / ".work" / "retrieval", help="kept between runs"
    )
    parser.add_argument("--depth", type=int, default=100, help="chunks retrieved per query")
    parser.add_argument("--limit", type=int, default=0, help="evaluate only the first N queries")
    args = parser.parse_args()
    args.qrels = args.qrels or args.data / "qrels" / "train.tsv"
    results = asyncio.run(evaluate(args))
    base = results["lexical"]["ndcg@10"]
    print(
        f"\n{args.data.name} ({args.qrels.name}): "
        f"{len(args.qrels.read_text().splitlines()) - 1} judgements"
    )
    print(f"{'method':<30}{'nDCG@10':>9}{'recall@10':>11}{'ms/query':>10}{'vs BM25':>9}")
    for mode in MODES:
        r = results[mode]
        print(
            f"{LABELS[mode]:<30}{r['ndcg@10']:>9.4f}{r['recall@10']:>11.4f}"
            f"{r['ms_per_query']:>10.1f}{r['ndcg@10'] / base:>9.3f}"
        )


if __name__ == "__main__":
    main()
