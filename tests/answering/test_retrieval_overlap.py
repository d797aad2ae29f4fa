"""While the question is being embedded, the keyword search already runs on the database.

The runtime here embeds through an OpenAI-compatible endpoint on loopback (configured as an
operator would) that holds back any batch mentioning HELD until the test lets it go, so the
order is asserted through what the database was asked, not through time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from app_fixtures import Started, with_database
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from slow_embeddings import SlowEmbeddings, embedding_through

HELD = "Zephyr"


@pytest.fixture
def embeddings() -> Iterator[SlowEmbeddings]:
    with SlowEmbeddings(HELD) as api:
        yield api


@pytest.fixture
def settings(tmp_path: Path, embeddings: SlowEmbeddings) -> Settings:
    return embedding_through(embeddings, tmp_path / "data")


@pytest.fixture
async def started(
    settings: Settings, embeddings: SlowEmbeddings, migrated_database: Path
) -> AsyncIterator[Started]:
    # The runtime's own embedder, as settings name it (the suite's shares the local model).
    runtime = Runtime(with_database(settings, migrated_database))
    workspace = await runtime.start()
    try:
        yield Started(runtime, workspace.id)
    finally:
        embeddings.release()
        await runtime.close()


async def test_the_keyword_search_runs_while_the_question_is_embedded(
    started: Started, embeddings: SlowEmbeddings, tmp_path: Path
) -> None:
    runtime = started.runtime
    agent = await started.agent("Ridgeline")
    page = tmp_path / "warranty.md"
    page.write_text("# Warranty\n\nEvery new snowmobile has a two-year warranty.\n")
    await started.ingest_file(agent, page)

    loop = asyncio.get_running_loop()
    searched = asyncio.Event()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "MATCH" in statement:
            loop.call_soon_threadsafe(searched.set)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        asking = asyncio.create_task(
            runtime.answers.draft(agent, f"How long is the {HELD} snowmobile warranty?")
        )
        held = await asyncio.to_thread(embeddings.holding.wait, 30)
        assert held, asking.exception() if asking.done() else "the question is not embedded"
        # The embedding is held: the keyword search must not wait for it.
        await asyncio.wait_for(searched.wait(), timeout=30)
        assert not asking.done()
        embeddings.release()
        draft = await asyncio.wait_for(asking, timeout=60)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [hit.text for hit in draft.hits] == ["Every new snowmobile has a two-year warranty."]
