"""Ingestion jobs: fair across workspaces, and quiet about sources deleted while queued.

The server here embeds through an OpenAI-compatible endpoint on loopback (configured as an
operator would) that holds back any batch mentioning HELD until the test lets it go: a slow
provider whose slowness the test controls, so ordering is asserted through states, not time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app_fixtures import Accounts, Started, api_client, new_agent, with_database
from factories import make_csv
from frontdesk.app import create_app
from frontdesk.settings import Settings
from slow_embeddings import SlowEmbeddings, embedding_through
from support import ServerThread, wait_for_source, wait_until

HELD = "Snowmobile catalogue"


@pytest.fixture
def embeddings() -> Iterator[SlowEmbeddings]:
    with SlowEmbeddings(HELD) as api:
        yield api


@pytest.fixture
def settings(tmp_path: Path, embeddings: SlowEmbeddings) -> Settings:
    return embedding_through(embeddings, tmp_path / "data", max_upload_mb=1, ingest_workers=2)


@pytest.fixture
def server(
    settings: Settings, embeddings: SlowEmbeddings, migrated_database: Path
) -> Iterator[ServerThread]:
    with ServerThread(create_app(with_database(settings, migrated_database))) as running:
        try:
            yield running
        finally:
            embeddings.release()  # let a held ingestion finish so the server can stop


def test_a_workspaces_big_source_does_not_hold_up_another_workspace(
    server: ServerThread, accounts: Accounts, embeddings: SlowEmbeddings
) -> None:
    big_shop = api_client(server, accounts, accounts.workspace("Big shop"), timeout=30)
    corner_shop = api_client(server, accounts, accounts.workspace("Corner shop"), timeout=30)
    big_agent, corner_agent = new_agent(big_shop), new_agent(corner_shop)
    rows = [["Item", "Note"]] + [[f"Sled {n}", f"{HELD} entry {n}"] for n in range(400)]
    catalogue = _upload(big_shop, big_agent, "catalogue.csv", make_csv(rows))
    assert wait_until(embeddings.holding.is_set, timeout=60, what="the catalogue embedding")
    # The big shop's next source queues behind its first: one slot per workspace at a time.
    returns = _upload(big_shop, big_agent, "returns.md", b"# Returns\n\nWithin 30 days.")
    hours = _upload(corner_shop, corner_agent, "hours.md", b"# Hours\n\nOpen 8:00 to 17:30.")

    assert wait_for_source(corner_shop, hours, timeout=30)["status"] == "ready"
    assert _status(big_shop, catalogue) == "processing"
    assert _status(big_shop, returns) == "queued"

    embeddings.release()
    assert wait_for_source(big_shop, catalogue)["status"] == "ready"
    assert wait_for_source(big_shop, returns)["status"] == "ready"
    assert _source(big_shop, catalogue)["chunk_count"] == 400


def test_a_source_deleted_while_queued_is_skipped_quietly(
    server: ServerThread,
    accounts: Accounts,
    embeddings: SlowEmbeddings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk")
    http = api_client(server, accounts, accounts.default_workspace(), timeout=30)
    agent = new_agent(http)
    first = _upload(http, agent, "catalogue.csv", make_csv([["Item"], [HELD]]))
    assert wait_until(embeddings.holding.is_set, timeout=60, what="the catalogue embedding")
    queued = _upload(http, agent, "returns.md", b"# Returns\n\nWithin 30 days.")
    assert _status(http, queued) == "queued"
    assert http.delete(f"/api/v1/sources/{queued}").status_code == 204

    embeddings.release()
    assert wait_for_source(http, first)["status"] == "ready"
    # Its job found the workspace busy; the finished source's successor is none: nothing ran.
    assert http.get(f"/api/v1/sources/{queued}").status_code == 404
    troubles = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert not troubles, [r.getMessage() for r in troubles]


async def test_a_deleted_source_still_in_the_queue_is_skipped_quietly(
    started: Started, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk")
    runtime = started.runtime
    await runtime.ingestion.start(consume=True)
    agent = await started.agent("Dealer")
    async with runtime.db.transaction() as session:
        source = await runtime.knowledge.add_qa(session, agent, "FAQ", [("Open?", "Yes.")])
    await runtime.knowledge.delete(started.workspace_id, source.id)
    await runtime.ingestion.enqueue(source.id)  # as a route that accepted it before the delete
    await runtime.jobs.drain()
    assert f"source {source.id} was deleted before ingestion; skipped" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


# --- Helpers ----------------------------------------------------------------------------


def _upload(http: httpx.Client, agent_id: str, name: str, data: bytes) -> str:
    response = http.post(f"/api/v1/agents/{agent_id}/sources/files", files={"file": (name, data)})
    assert response.status_code == 202, response.text
    return str(response.json()[0]["id"])


def _source(http: httpx.Client, source_id: str) -> dict[str, object]:
    body: dict[str, object] = http.get(f"/api/v1/sources/{source_id}").json()
    return body


def _status(http: httpx.Client, source_id: str) -> object:
    return _source(http, source_id)["status"]
