"""Ingestion end to end: statuses, idempotence, re-sync, delete, failures, scoping."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, text

from frontdesk.knowledge import repository
from frontdesk.knowledge.models import Chunk, EmbeddingCache, Source

INVENTORY = """Stock #,Model,Type,Price,Status
A100,Glacier 850,Snowmobile,"$12,999",In stock
A101,Trailhawk 570,ATV,"$8,499",In stock
A102,Ridgeback 1000,Side-by-side,"$19,750",On hold
"""

SERVICE = """# Service department

## Hours
The service department is open Tuesday to Friday from 8:00 to 17:30 and on Saturday
from 9:00 to 14:00. It is closed on Sunday and Monday.

## Prices
A snowmobile tune-up costs $189. An ATV oil change costs $79.
"""


async def _chunk_count(started, source_id: str) -> int:
    async with started.runtime.db.session() as session:
        return await repository.count_chunks(session, source_id)


async def _source(started, source_id: str) -> Source:
    async with started.runtime.db.session() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        return source


async def test_file_becomes_ready_with_chunks_and_hash(started, tmp_path: Path) -> None:
    agent = await started.agent("Dealer")
    path = tmp_path / "inventory.csv"
    path.write_text(INVENTORY)
    source_id = await started.ingest_file(agent, path)
    source = await _source(started, source_id)
    assert source.status == "ready"
    assert source.error is None
    assert source.chunk_count == 3 == await _chunk_count(started, source_id)
    assert source.content_hash and len(source.content_hash) == 64


async def test_unchanged_source_does_no_work(started, tmp_path: Path) -> None:
    agent = await started.agent("Dealer")
    path = tmp_path / "service.md"
    path.write_text(SERVICE)
    source_id = await started.ingest_file(agent, path)
    async with started.runtime.db.session() as session:
        before = list(await session.scalars(select(Chunk.id).where(Chunk.source_id == source_id)))
    result = await started.runtime.knowledge.ingest(source_id)
    assert result.skipped and result.embedded == 0
    async with started.runtime.db.session() as session:
        after = list(await session.scalars(select(Chunk.id).where(Chunk.source_id == source_id)))
    assert before == after  # same rows: nothing was rewritten


async def test_resync_replaces_changed_content(started, tmp_path: Path) -> None:
    agent = await started.agent("Dealer")
    path = tmp_path / "service.md"
    path.write_text(SERVICE)
    source_id = await started.ingest_file(agent, path)
    path.write_text(SERVICE.replace("$189", "$205").replace("## Prices", "## Current prices"))
    await started.runtime.knowledge.mark_for_resync(started.workspace_id, source_id)
    result = await started.runtime.knowledge.ingest(source_id)
    assert result.status == "ready" and not result.skipped
    async with started.runtime.db.session() as session:
        texts = " ".join(
            await session.scalars(select(Chunk.text).where(Chunk.source_id == source_id))
        )
    assert "$205" in texts and "$189" not in texts
    # The unchanged passage kept its cached vector: only the changed chunk was embedded.
    assert 0 < result.embedded < result.chunks + 1


async def test_delete_removes_chunks_vectors_and_search_hits(started, tmp_path: Path) -> None:
    agent = await started.agent("Dealer")
    path = tmp_path / "inventory.csv"
    path.write_text(INVENTORY)
    source_id = await started.ingest_file(agent, path)
    async with started.runtime.db.session() as session:
        assert await started.runtime.searcher.search(session, agent.id, "Glacier 850 price")
    await started.runtime.knowledge.delete(started.workspace_id, source_id)
    async with started.runtime.db.session() as session:
        assert await session.get(Source, source_id) is None
        remaining = await session.scalar(
            select(func.count(Chunk.id)).where(Chunk.agent_id == agent.id)
        )
        assert remaining == 0
        if session.get_bind().dialect.name == "sqlite":  # PostgreSQL's index is in the row
            fts = await session.scalar(
                text("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'glacier'")
            )
            assert fts == 0
        for mode in ("hybrid", "lexical", "vector"):
            assert (
                await started.runtime.searcher.search(session, agent.id, "Glacier 850", mode=mode)
                == []
            )


async def test_broken_file_fails_alone_with_a_reason(started, tmp_path: Path) -> None:
    agent = await started.agent("Dealer")
    broken = tmp_path / "brochure.pdf"
    broken.write_bytes(b"%PDF-1.7\n this is not really a pdf")
    good = tmp_path / "service.md"
    good.write_text(SERVICE)
    bad_id = await started.ingest_file(agent, broken)
    good_id = await started.ingest_file(agent, good)
    bad, ok = await _source(started, bad_id), await _source(started, good_id)
    assert bad.status == "failed"
    assert "pdf" in (bad.error or "").lower()
    assert bad.chunk_count == 0
    assert ok.status == "ready" and ok.chunk_count > 0


async def test_search_is_scoped_to_one_agent(started, tmp_path: Path) -> None:
    dealer = await started.agent("Dealer")
    bakery = await started.agent("Bakery")
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(INVENTORY)
    menu = tmp_path / "menu.md"
    menu.write_text("# Menu\n\nSourdough loaf costs $7. Croissants cost $3.50 each.\n")
    await started.ingest_file(dealer, inventory)
    await started.ingest_file(bakery, menu)
    async with started.runtime.db.session() as session:
        for mode in ("hybrid", "lexical", "vector"):
            hits = await started.runtime.searcher.search(
                session, bakery.id, "Glacier 850 price", mode=mode
            )
            assert all("Glacier" not in h.text for h in hits)
            dealer_hits = await started.runtime.searcher.search(
                session, dealer.id, "sourdough", mode=mode
            )
            assert all("Sourdough" not in h.text for h in dealer_hits)
    answer = await started.runtime.answers.ask(bakery, "What does the Glacier 850 cost?")
    assert "12,999" not in answer.answer


async def test_embedding_cache_is_shared_by_identical_content(started, tmp_path: Path) -> None:
    first = await started.agent("First")
    second = await started.agent("Second")
    path = tmp_path / "service.md"
    path.write_text(SERVICE)
    await started.ingest_file(first, path)
    async with started.runtime.db.transaction() as session:
        source = await started.runtime.knowledge.add_path(session, second, path)
    result = await started.runtime.knowledge.ingest(source.id)
    assert result.status == "ready" and result.embedded == 0 and result.chunks > 0
    async with started.runtime.db.session() as session:
        cached = await session.scalar(select(func.count()).select_from(EmbeddingCache))
    assert cached == result.chunks


async def test_row_records_keep_column_names(started, tmp_path: Path) -> None:
    agent = await started.agent("Dealer")
    path = tmp_path / "inventory.csv"
    path.write_text(INVENTORY)
    await started.ingest_file(agent, path)
    async with started.runtime.db.session() as session:
        hits = await started.runtime.searcher.search(
            session, agent.id, "what does the Glacier 850 cost"
        )
    top = hits[0]
    assert "Glacier 850" in top.text and "$12,999" in top.text and "Price" in top.text
    assert top.location.startswith("row ")
    assert top.source == "inventory.csv"
