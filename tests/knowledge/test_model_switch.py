"""The operator switches the embedding model: what was embedded by the one before is still
found, by its words, never compared with vectors of another size, and embedded again by the
next sync, even of a file that did not change."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from app_fixtures import Started
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.knowledge.models import Chunk, Source
from frontdesk.knowledge.units import unpack
from frontdesk.runtime import Runtime
from slow_embeddings import SlowEmbeddings, embedding_through
from support import statements_sent

HOURS = """# Opening hours

The showroom is open Monday to Friday from 9:00 to 18:00 and on Saturday from 10:00 to 16:00.
It is closed on Sunday.
"""
QUESTION = "When is the showroom open on Saturday?"


async def test_a_model_of_another_size_finds_what_the_last_one_embedded_until_a_sync(
    started: Started, tmp_path: Path
) -> None:
    agent = await started.agent("Dealer")
    path = tmp_path / "hours.md"
    path.write_text(HOURS)
    source_id = await started.ingest_file(agent, path)
    before = await started.runtime.answers.ask(agent, QUESTION)
    assert before.answered and "10:00" in before.answer
    await started.runtime.close()

    with SlowEmbeddings(held="nothing is held") as api:  # 8 numbers a vector, MiniLM's 384
        switched = Runtime(embedding_through(api, started.runtime.settings.data_dir))
        await switched.start()
        try:
            draft = await switched.answers.draft(agent, QUESTION)
            assert draft.hits and "10:00" in draft.hits[0].text
            assert draft.hits[0].vector_score == 0.0  # found by its words, not its vector

            # The file did not change; a sync embeds its chunks again all the same.
            synced = await switched.knowledge.ingest(source_id)
            assert (synced.status, synced.skipped) == ("ready", True)
            async with switched.db.session() as session:
                chunks = list(await session.scalars(select(Chunk).options(undefer("*"))))
                source = await session.get(Source, source_id)
            assert source is not None and source.embedding_model == "openai:slow-embed"
            assert chunks and all(len(c.embedding or b"") == 8 * 4 for c in chunks)
            assert synced.refreshed == len(chunks)
            assert all(
                {v.shape for v in unpack(c.unit_vectors or b"").values()} == {(8,)} for c in chunks
            )
            draft = await switched.answers.draft(agent, QUESTION)
            assert "10:00" in draft.hits[0].text and draft.hits[0].vector_score != 0.0
        finally:
            await switched.close()


async def test_a_source_from_before_the_model_was_recorded_is_marked_without_embedding_again(
    started: Started, tmp_path: Path, embedder: OnnxMiniLM
) -> None:
    agent = await started.agent("Dealer")
    path = tmp_path / "hours.md"
    path.write_text(HOURS)
    source_id = await started.ingest_file(agent, path)
    async with started.runtime.db.transaction() as session:  # as migration 0026 left it
        await session.execute(
            update(Source).where(Source.id == source_id).values(embedding_model=None)
        )
    with statements_sent(started.runtime.db.engine.sync_engine) as statements:
        synced = await started.runtime.knowledge.ingest(source_id)
    assert (synced.status, synced.skipped) == ("ready", True)
    assert not [s for s in statements if s.startswith("UPDATE chunks")], statements
    assert synced.refreshed == 0
    async with started.runtime.db.session() as session:
        source = await session.get(Source, source_id)
    assert source is not None and source.embedding_model == embedder.model_id
