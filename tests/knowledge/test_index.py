"""The chunk index under hybrid search: the same BM25 and the same cosines on SQLite and on
PostgreSQL, one agent at a time (tests/databases.py runs this file on both)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sqlalchemy import text

from app_fixtures import Started
from databases import DatabaseUnderTest
from frontdesk.agents.models import Agent
from frontdesk.knowledge.index import BM25_WEIGHTS, chunk_index
from frontdesk.knowledge.models import Chunk, Source, vector_text
from frontdesk.knowledge.text import query_terms

K1, B = 1.2, 0.75

# (title, body): "brakes" in two of six chunks, once in A's title; plain words, so that both
# databases count the same tokens.
CORPUS = [
    ("Brakes", "the brakes squeal when pads wear thin"),
    ("Tyres", "tyres and brakes are checked yearly and brakes adjusted"),
    ("Paint", "paint chips are repaired in the body shop"),
    ("Hours", "the shop opens at eight on weekdays"),
    ("Loans", "a courtesy car is free while yours is serviced"),
    ("Tyres", "winter tyres are stored for a small fee"),
]


def _vectors(count: int, dimension: int, seed: int = 7) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


async def _store(
    started: Started, agent: Agent, chunks: list[tuple[str, str]], vectors: np.ndarray
) -> list[int]:
    """The chunks stored as ingestion stores them, under one source of ``agent``; their ids."""
    async with started.runtime.db.transaction() as session:
        source = Source(
            workspace_id=agent.workspace_id,
            agent_id=agent.id,
            kind="qa",
            title="Garage",
            uri=f"qa:{agent.id}",
            status="ready",
        )
        session.add(source)
        await session.flush()
        rows = [
            Chunk(
                workspace_id=agent.workspace_id,
                agent_id=agent.id,
                source_id=source.id,
                ordinal=i,
                title=title,
                location="",
                text=body,
                content_hash=f"{i}",
                embedding=vector.tobytes(),
            )
            for i, ((title, body), vector) in enumerate(zip(chunks, vectors, strict=True))
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


LENGTHS = [len(f"{title} {body}".split()) for title, body in CORPUS]
BRAKES = [(1, 1), (0, 2), (0, 0), (0, 0), (0, 0), (0, 0)]  # (in title, in body) per chunk
TYRES = [(0, 0), (1, 1), (0, 0), (0, 0), (0, 0), (1, 1)]


def _bm25(counts: list[tuple[int, int]]) -> np.ndarray:
    """FTS5's BM25 of one term in each chunk of CORPUS (0 where the term is absent)."""
    n, average = len(LENGTHS), sum(LENGTHS) / len(LENGTHS)
    df = sum(1 for title, body in counts if title or body)
    idf = max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)
    scores = []
    for (in_title, in_body), length in zip(counts, LENGTHS, strict=True):
        tf = BM25_WEIGHTS[0] * in_title + BM25_WEIGHTS[1] * in_body
        scores.append(idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average)))
    return np.array(scores)


async def test_keyword_scores_are_bm25_with_the_title_weighing_more(started: Started) -> None:
    agent = await started.agent("Garage")
    ids = await _store(started, agent, CORPUS, _vectors(len(CORPUS), 8))
    async with started.runtime.reads() as session:
        found = await chunk_index(session).keyword(session, agent.id, ["brakes"], limit=10)
    # The first chunk holds the word fewer times than the second, but once in its title.
    assert list(found) == ids[:2]
    assert [found[i] for i in ids[:2]] == pytest.approx(_bm25(BRAKES)[:2], rel=1e-6)


async def test_keyword_scores_add_up_over_the_terms(started: Started) -> None:
    agent = await started.agent("Garage")
    ids = await _store(started, agent, CORPUS, _vectors(len(CORPUS), 8))
    async with started.runtime.reads() as session:
        found = await chunk_index(session).keyword(
            session, agent.id, ["brakes", "tyres", "unicorn"], limit=10
        )
    expected = _bm25(BRAKES) + _bm25(TYRES)
    assert found == pytest.approx({ids[i]: expected[i] for i in (0, 1, 5)}, rel=1e-6)


async def test_nearest_are_the_exact_cosines_of_the_agents_own_chunks(started: Started) -> None:
    ours, theirs = await started.agent("Garage"), await started.agent("Bakery")
    vectors = _vectors(2 * len(CORPUS), 384)
    our_ids = await _store(started, ours, CORPUS, vectors[: len(CORPUS)])
    their_ids = await _store(started, theirs, CORPUS, vectors[len(CORPUS) :])
    query = vectors[len(CORPUS)] + 0.5 * vectors[2]  # closest of all to one of theirs
    query /= np.linalg.norm(query)
    cosines = vectors[: len(CORPUS)] @ query
    best = np.argsort(-cosines)[:3]
    async with started.runtime.reads() as session:
        snapshot = await started.runtime.searcher.vectors.snapshot(session, ours.id)
        index = chunk_index(session)
        nearest = await index.nearest(session, ours.id, snapshot, query, 3)
        some = await index.similarity(session, snapshot, query, [our_ids[4], our_ids[5]])
        words = await index.keyword(session, ours.id, ["brakes"], limit=10)
    assert set(nearest) == {our_ids[i] for i in best}
    assert [nearest[our_ids[i]] for i in best] == pytest.approx(cosines[best], abs=1e-5)
    assert some == pytest.approx({our_ids[4]: cosines[4], our_ids[5]: cosines[5]}, abs=1e-5)
    assert not set(nearest) & set(their_ids)
    assert set(words) == set(our_ids[:2])


async def test_search_reads_through_a_session_that_refuses_writes(started: Started) -> None:
    agent = await started.agent("Garage")
    vectors = _vectors(len(CORPUS), 384)
    ids = await _store(started, agent, CORPUS, vectors)
    async with started.runtime.reads() as session:
        hits = await started.runtime.searcher.search(
            session, agent.id, "squealing brakes", k=3, query_vector=vectors[0]
        )
    assert hits[0].chunk_id == ids[0]
    assert hits[0].lexical_score > 0 and hits[0].vector_score == pytest.approx(1.0, abs=1e-5)


async def test_vectors_of_any_dimension_are_found(started: Started) -> None:
    agent = await started.agent("Garage")
    vectors = _vectors(len(CORPUS), 8)
    ids = await _store(started, agent, CORPUS, vectors)
    async with started.runtime.reads() as session:
        snapshot = await started.runtime.searcher.vectors.snapshot(session, agent.id)
        nearest = await chunk_index(session).nearest(session, agent.id, snapshot, vectors[3], 1)
    assert nearest == pytest.approx({ids[3]: 1.0}, abs=1e-5)


async def test_postgres_finds_nearest_vectors_through_the_hnsw_index(
    started: Started, database: DatabaseUnderTest
) -> None:
    if database.backend != "postgres":
        pytest.skip("SQLite keeps vectors in memory")
    from frontdesk.knowledge.postgres_index import nearest_statement

    agent = await started.agent("Garage")
    await _store(started, agent, CORPUS, _vectors(len(CORPUS), 384))
    query = _vectors(1, 384, seed=1)[0]
    async with started.runtime.reads() as session:
        # A table this small is cheaper to scan: forbid that to see whether the index serves.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = await session.execute(
            text(f"EXPLAIN {nearest_statement(384).text}"),
            {"query": vector_text(query), "agent": agent.id, "n": 3},
        )
        lines = "\n".join(row[0] for row in plan)
    assert "ix_chunks_embedding_hnsw" in lines, lines


async def test_words_with_inner_punctuation_and_operator_words_are_plain_words(
    started: Started,
) -> None:
    agent = await started.agent("Garage")
    chunks = [("Models", "The 3.5 isn't sold at O'Neil's any more"), ("Hours", "Open or closed")]
    ids = await _store(started, agent, chunks, _vectors(2, 8))
    async with started.runtime.reads() as session:
        index = chunk_index(session)
        punctuated = await index.keyword(
            session, agent.id, query_terms("Is the 3.5 at O'Neil's?"), limit=5
        )
        # Stop words only: the query keeps them all, "or" among them, as words to look for
        # (FTS5 finds them, PostgreSQL's English dictionary drops them: nothing, no error).
        operators = await index.keyword(session, agent.id, query_terms("or -and the"), limit=5)
    assert list(punctuated) == [ids[0]]
    assert set(operators) <= set(ids)


async def test_search_leaves_the_sessions_planner_settings_as_they_were(
    started: Started, database: DatabaseUnderTest
) -> None:
    if database.backend != "postgres":
        pytest.skip("SQLite's searches set nothing")
    agent = await started.agent("Garage")
    vectors = _vectors(len(CORPUS), 384)
    await _store(started, agent, CORPUS, vectors)
    settings = "SELECT current_setting('enable_seqscan'), current_setting('plan_cache_mode')"
    async with started.runtime.reads() as session:
        before = (await session.execute(text(settings))).one()
        await started.runtime.searcher.search(session, agent.id, "brakes", query_vector=vectors[0])
        after = (await session.execute(text(settings))).one()
    assert before == after == ("on", "auto")
