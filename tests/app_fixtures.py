"""Fixtures for the product's own parts: the real embedder, a runtime, a live server."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.apikeys import create_api_key
from frontdesk.accounts.models import Member, Workspace
from frontdesk.accounts.service import create_member, create_workspace, get_or_create_workspace
from frontdesk.actions.models import ActionRun
from frontdesk.agents import service as agents
from frontdesk.agents.models import Agent
from frontdesk.app import create_app
from frontdesk.cli.serve import server_options
from frontdesk.conversations import lifecycle
from frontdesk.db.engine import Database
from frontdesk.db.migrate import upgrade
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from receiver import Receiver
from support import ServerThread

T = TypeVar("T")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def embedder() -> OnnxMiniLM:
    """The real local model, loaded once per test run."""
    return OnnxMiniLM(batch_size=16)


def database_file(settings: Settings) -> Path | None:
    """The SQLite file the product keeps its data in with these settings (None for a server)."""
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database)


@pytest.fixture(scope="session")
async def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database brought to the newest schema by the product's own migrations, once a run."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("migrated"))
    db = Database(settings.sqlalchemy_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()  # checkpoints the WAL: the one file holds everything
    file = database_file(settings)
    assert file is not None and file.exists()
    return file


def with_database(settings: Settings, migrated: Path) -> Settings:
    """Give the data directory a database already at head, as an existing install has.

    Every test would otherwise run all migrations again; tests/db/ still migrates from scratch,
    and tests that build Settings without this start from an empty directory.
    """
    target = database_file(settings)
    if target is not None and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated, target)
    return settings


@pytest.fixture
def settings(tmp_path: Path, migrated_database: Path) -> Settings:
    # A source that fails fails at once here; tests/knowledge/test_jobs.py retries.
    return with_database(
        Settings(data_dir=tmp_path / "data", max_upload_mb=1, ingest_retry_delays_s=[]),
        migrated_database,
    )


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
async def started(
    settings: Settings, embedder: OnnxMiniLM, migrated_database: Path
) -> AsyncIterator[Started]:
    # Packages that override `settings` get the migrated database here.
    runtime = Runtime(with_database(settings, migrated_database), embedder=embedder)
    workspace = await runtime.start()
    try:
        yield Started(runtime, workspace.id)
    finally:
        await runtime.close()


@pytest.fixture
def server(
    settings: Settings, embedder: OnnxMiniLM, migrated_database: Path
) -> Iterator[ServerThread]:
    # Packages that override `settings` get the migrated database here.
    with_database(settings, migrated_database)
    app = create_app(settings, Runtime(settings, embedder=embedder))
    # uvicorn as `frontdesk serve` runs it (proxy headers off, socket message limit), quieter.
    with ServerThread(app, **{**server_options(settings), "log_level": "warning"}) as running:
        yield running


class Accounts:
    """Creates workspaces, members and API keys in a running server's own database."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def _run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async def main() -> T:
            db = Database(self.settings.sqlalchemy_url)
            try:
                async with db.transaction() as session:
                    return await work(session)
            finally:
                await db.dispose()

        return asyncio.run(main())

    def default_workspace(self) -> str:
        return self._run(lambda s: get_or_create_workspace(s)).id

    def workspace(self, name: str) -> str:
        return self._run(lambda s: create_workspace(s, name)).id

    def api_key(self, workspace_id: str | None = None) -> str:
        workspace_id = workspace_id or self.default_workspace()
        return self._run(lambda s: create_api_key(s, workspace_id, "tests")).key

    def allow_hosts(self, *hosts: str, workspace_id: str | None = None) -> None:
        """Let actions and webhooks call these loopback hosts (as an admin would)."""
        workspace_id = workspace_id or self.default_workspace()

        async def work(session: AsyncSession) -> None:
            workspace = await session.get(Workspace, workspace_id)
            assert workspace is not None
            workspace.allowed_hosts = list(hosts)

        self._run(work)

    def member(
        self,
        email: str,
        password: str = PASSWORD,
        role: str = "agent",
        workspace_id: str | None = None,
        name: str | None = None,
    ) -> Member:
        workspace_id = workspace_id or self.default_workspace()
        return self._run(
            lambda s: create_member(s, workspace_id, email, password, role=role, name=name)
        )


@pytest.fixture
def accounts(server: ServerThread, settings: Settings) -> Accounts:
    return Accounts(settings)


def api_client(
    server: ServerThread, accounts: Accounts, workspace_id: str | None = None, timeout: float = 30
) -> httpx.Client:
    """An API client of a workspace (the default one unless named), with a fresh API key."""
    headers = {"Authorization": f"Bearer {accounts.api_key(workspace_id)}"}
    return httpx.Client(base_url=server.url, timeout=timeout, headers=headers)


def new_agent(http: httpx.Client, name: str = "Dealer") -> str:
    """Create an agent through the API; its id."""
    response = http.post("/api/v1/agents", json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def client(server: ServerThread, accounts: Accounts) -> Iterator[httpx.Client]:
    """An API client of the default workspace, authenticated with an API key."""
    with api_client(server, accounts) as http:
        yield http


def sign_in(server: ServerThread, email: str, password: str = PASSWORD) -> httpx.Client:
    """A browser-like client: session cookie plus the CSRF header on every request."""
    http = httpx.Client(base_url=server.url, timeout=30)
    response = http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return http


async def running_http_run(started: Started, helpdesk: Receiver) -> str:
    """A form's HTTP follow-up to ``helpdesk``, written with the submission and not sent yet."""
    ticket = {
        "name": "ticket",
        "kind": "http",
        "url": helpdesk.url("/tickets"),
        "body": {"ok": True},
        "result_fields": ["id"],
    }
    agent = await started.agent("Ridgeline", actions=[ticket])
    async with started.runtime.changes() as session:
        await session.execute(
            update(Workspace)
            .where(Workspace.id == started.workspace_id)
            .values(allowed_hosts=[helpdesk.host])
        )
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await session.flush()
        run = ActionRun(
            workspace_id=started.workspace_id,
            conversation_id=conversation.id,
            action="ticket",
            kind="http",
            status="running",
        )
        session.add(run)
        await session.flush()
        return run.id
