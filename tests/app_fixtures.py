"""Fixtures for the product's own parts: the real embedder, a runtime, a live server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from frontdesk.agent import service as agents
from frontdesk.agent.models import Agent
from frontdesk.app import create_app
from frontdesk.knowledge.embedder import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from support import ServerThread


@pytest.fixture(scope="session")
def embedder() -> OnnxMiniLM:
    """The real local model, loaded once per test run."""
    return OnnxMiniLM(batch_size=16)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", max_upload_mb=1)


@dataclass
class Started:
    runtime: Runtime
    workspace_id: str

    async def agent(self, name: str, **options: object) -> Agent:
        async with self.runtime.db.transaction() as session:
            return await agents.create_agent(session, self.workspace_id, name, **options)

    async def ingest_file(self, agent: Agent, path: Path) -> str:
        async with self.runtime.db.transaction() as session:
            source = await self.runtime.knowledge.add_path(session, agent, path)
        await self.runtime.knowledge.ingest(source.id)
        return source.id


@pytest.fixture
async def started(settings: Settings, embedder: OnnxMiniLM) -> AsyncIterator[Started]:
    runtime = Runtime(settings, embedder=embedder)
    workspace = await runtime.start()
    try:
        yield Started(runtime, workspace.id)
    finally:
        await runtime.close()


@pytest.fixture
def server(settings: Settings, embedder: OnnxMiniLM) -> Iterator[ServerThread]:
    app = create_app(settings, Runtime(settings, embedder=embedder))
    with ServerThread(app) as running:
        yield running


@pytest.fixture
def client(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http
