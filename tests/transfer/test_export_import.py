"""A workspace built on SQLite through the API moves to PostgreSQL (and to another SQLite) with
`frontdesk export` and `frontdesk import`; a server on the target carries on where it was."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from transfer_support import (
    DOCUMENT,
    LEAD,
    PASSAGE,
    SECRET_VALUE,
    Built,
    build_workspace,
    manifest,
    ok,
    run_cli,
    serving,
    signed_in,
)

from app_fixtures import Accounts
from frontdesk.accounts.models import Workspace
from frontdesk.conversations.models import Conversation
from frontdesk.db.engine import Database
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.events.store import EventRecord
from frontdesk.knowledge.models import Source
from frontdesk.settings import Settings
from frontdesk.vault.cipher import Cipher, load_key
from frontdesk.vault.service import resolve
from postgres_server import EmbeddedPostgres
from support import ServerThread, wait_for_source


def _target(kind: str, tmp_path: Path, request: pytest.FixtureRequest, key: str) -> Settings:
    folder = tmp_path / "target"
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'frontdesk.db'}"
    else:
        postgres: EmbeddedPostgres = request.getfixturevalue("postgres_server")
        url = postgres.url(postgres.create(template=None))  # empty: import migrates it
    return Settings(data_dir=folder, database_url=url, secret_key=key)


def _env(target: Settings, key: str) -> dict[str, str]:
    assert target.database_url  # named even for SQLite: the source may be on PostgreSQL
    return {"FRONTDESK_SECRET_KEY": key, "FRONTDESK_DATABASE_URL": target.database_url}


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_workspace_moves_and_carries_on(
    kind: str,
    server: ServerThread,
    settings: Settings,
    client: httpx.Client,
    accounts: Accounts,
    agent: dict[str, Any],
    visitors: Any,
    member: httpx.Client,
    embedder: OnnxMiniLM,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    built = build_workspace(client, accounts, agent, visitors, member)
    archive = tmp_path / "ridgeline.zip"
    exported = ok(
        run_cli(settings.data_dir, "export", "--workspace", "default", "--out", str(archive))
    )
    assert "Exported workspace default" in exported.output
    rows = {t["name"]: t["rows"] for t in manifest(archive)["tables"]}
    assert rows["chunks"] >= 3 and rows["messages"] >= 8 and rows["events"] >= 10
    assert min(rows[t] for t in ("secrets", "webhooks", "teams", "team_members", "tags")) == 1

    key = (settings.data_dir / "secret.key").read_text().strip()
    target = _target(kind, tmp_path, request, key)
    imported = ok(run_cli(target.data_dir, "import", str(archive), env=_env(target, key)))
    assert "Imported workspace default" in imported.output

    with serving(target, embedder) as moved:
        _check_carries_on(moved, target, built, rows["events"])


def _check_carries_on(moved: ServerThread, target: Settings, built: Built, events: int) -> None:
    api = httpx.Client(base_url=moved.url, timeout=30, headers={"Authorization": built.api_key})
    sam = signed_in(moved, "sam@ridgeline.test")  # the argon2 hash came across
    for mode in ("hybrid", "lexical", "vector"):
        hits = api.get(
            f"/api/v1/agents/{built.agent_id}/search",
            params={"q": "where are winter tires stored", "mode": mode},
        )
        assert hits.status_code == 200, hits.text
        assert PASSAGE in hits.json()[0]["text"], (mode, hits.json())

    listed = sam.get("/api/v1/conversations", params={"status": "all"}).json()["conversations"]
    assert {c["id"] for c in listed} == set(built.conversations)
    for conversation_id, messages in built.conversations.items():
        detail = sam.get(f"/api/v1/conversations/{conversation_id}").json()
        assert [(m["seq"], m["author"], m["text"]) for m in detail["messages"]] == messages
    handed = sam.get(f"/api/v1/conversations/{built.handed_off}").json()["conversation"]
    assert handed["status"] == "human" and handed["tags"] == ["financing"]

    reply = sam.post(
        f"/api/v1/conversations/{built.handed_off}/messages", json={"text": "Still there, Dana?"}
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["seq"] == built.conversations[built.handed_off][-1][0] + 1

    # The uploaded file moved under the target's data directory and can be read again there.
    source = api.get(f"/api/v1/sources/{built.upload_id}").json()
    resynced = api.post(f"/api/v1/sources/{built.upload_id}/resync")
    assert resynced.status_code in (200, 202), resynced.text
    assert wait_for_source(api, built.upload_id)["status"] == "ready", source

    seqs, secrets, file_path, no_lead = asyncio.run(_stored(target))
    assert no_lead == len(built.conversations) - 1  # SQL NULL stays NULL, not JSON null
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > events
    assert secrets == {"CRM_TOKEN": SECRET_VALUE}
    assert Path(file_path).is_relative_to(target.uploads_dir)
    assert Path(file_path).read_text() == DOCUMENT
    if target.sqlalchemy_url.startswith("sqlite"):  # conversation search: FTS5 for now
        found = sam.get("/api/v1/conversations/search", params={"q": LEAD["phone"]})
        assert found.json()["results"][0]["conversation"]["id"] == built.handed_off, found.text
    api.close()
    sam.close()


async def _stored(settings: Settings) -> tuple[list[int], dict[str, str], str, int]:
    db = Database(settings.sqlalchemy_url)
    try:
        async with db.session() as session:
            workspace = await session.scalar(select(Workspace).where(Workspace.slug == "default"))
            assert workspace is not None
            seqs = await session.scalars(
                select(EventRecord.seq)
                .where(EventRecord.workspace_id == workspace.id)
                .order_by(EventRecord.seq)
            )
            key = settings.secret_key.get_secret_value() if settings.secret_key else None
            cipher = Cipher(load_key(key, settings.data_dir))
            secrets = await resolve(session, cipher, workspace.id, ["CRM_TOKEN"])
            path = await session.scalar(
                select(Source.file_path).where(Source.title == "storage.md")
            )
            no_lead = await session.scalar(
                select(func.count()).where(
                    Conversation.workspace_id == workspace.id, Conversation.lead.is_(None)
                )
            )
            return list(seqs), secrets, str(path), int(no_lead or 0)
    finally:
        await db.dispose()
