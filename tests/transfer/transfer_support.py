"""A dealership workspace built through the API, the CLI in-process, and a server on a target."""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from app_fixtures import Accounts, sign_in
from frontdesk.app import create_app
from frontdesk.cli import cli
from frontdesk.cli.serve import server_options
from frontdesk.db.engine import Database
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.schema import Base
from frontdesk.settings import Settings
from support import ServerThread, wait_for_source, wait_until

SECRET_VALUE = "crm-7b2e-secret-value"
PASSAGE = "Winter tires are stored free of charge in the Glacier Hall warehouse"
DOCUMENT = f"""# Tire storage

{PASSAGE} from November to March. Bring the wheels on a weekday morning and we label each set
with your plate number.

# Car wash

Every service visit ends with a free car wash using reclaimed rainwater.
"""
LEAD_FORM = {
    "name": "lead",
    "kind": "form",
    "title": "Leave your details",
    "fields": [
        {"name": "name", "type": "text"},
        {"name": "email", "type": "email"},
        {"name": "phone", "type": "phone", "required": True},
    ],
}
LEAD = {"name": "Dana Whitfield", "email": "dana@example.test", "phone": "(218) 555-0142"}


def run_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], obj={}, env=env)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


@dataclass
class Built:
    """What the source workspace held when exported, as its API showed it."""

    api_key: str
    agent_id: str
    upload_id: str
    handed_off: str
    conversations: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)


def _seen(http: httpx.Client, conversation_id: str) -> list[tuple[int, str, str]]:
    detail = http.get(f"/api/v1/conversations/{conversation_id}")
    assert detail.status_code == 200, detail.text
    return [(m["seq"], m["author"], m["text"]) for m in detail.json()["messages"]]


def build_workspace(
    client: httpx.Client,
    accounts: Accounts,
    agent: dict[str, Any],
    visitors: Any,
    member: httpx.Client,
) -> Built:
    """Knowledge (Q&A from the fixture and an uploaded document), a conversation answered by
    the AI, one handed off with a lead card, taken over, replied to, noted and tagged; a team,
    a webhook, a secret, a saved reply."""
    upload = client.post(
        f"/api/v1/agents/{agent['id']}/sources/files", files={"file": ("storage.md", DOCUMENT)}
    )
    assert upload.status_code == 202, upload.text
    upload_id = upload.json()[0]["id"]
    assert wait_for_source(client, upload_id)["status"] == "ready"

    asking = visitors()
    assert asking.send("When is the service department open?").status_code in (200, 201, 202)
    asking.wait_for("ai")

    settings = {"actions": [LEAD_FORM], "rules": {"collect": "lead"}}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=settings).status_code == 200
    lead = visitors()
    assert lead.send("Can I finance a used truck?").status_code in (200, 201, 202)
    lead.wait_for("ai")
    lead.handoff()
    wait_until(
        lambda: any(m["event"] == "form" for m in lead.history()["messages"]), what="the form"
    )
    submitted = lead.http.post(
        f"/api/v1/widget/conversations/{lead.id}/forms/lead", json={"values": LEAD}
    )
    assert submitted.status_code == 200, submitted.text
    for path, body in (
        ("takeover", {}),
        ("messages", {"text": "Hi Dana, Sam here: yes, from 24 to 72 months."}),
        ("messages", {"text": "Prefers a call after 5pm", "private": True}),
        ("tags", {"tag": "financing"}),
    ):
        done = member.post(f"/api/v1/conversations/{lead.id}/{path}", json=body)
        assert done.status_code in (200, 201), done.text

    kim = accounts.member("kim@ridgeline.test", name="Kim")
    team = client.post("/api/v1/teams", json={"name": "Service", "members": [kim.id]})
    assert team.status_code == 201, team.text
    hook = client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.ridgeline.example/frontdesk", "events": ["message.created"]},
    )
    assert hook.status_code == 201, hook.text
    secret = client.put("/api/v1/secrets/CRM_TOKEN", json={"value": SECRET_VALUE})
    assert secret.status_code == 201, secret.text
    saved = client.post(
        "/api/v1/saved-replies",
        json={"shortcut": "/hours", "title": "Hours", "text": "We open at 8:00."},
    )
    assert saved.status_code == 201, saved.text

    built = Built(
        api_key=str(client.headers["Authorization"]),
        agent_id=agent["id"],
        upload_id=upload_id,
        handed_off=lead.id,
    )
    for conversation_id in (asking.id, lead.id):
        built.conversations[conversation_id] = _seen(member, conversation_id)
    return built


def manifest(archive: Path) -> dict[str, Any]:
    with zipfile.ZipFile(archive) as opened:
        data: dict[str, Any] = json.loads(opened.read("manifest.json"))
    return data


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the database at ``url``."""

    async def main() -> dict[str, int]:
        db = Database(url)
        try:
            async with db.session() as session:
                return {
                    t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
                    for t in Base.metadata.sorted_tables
                }
        finally:
            await db.dispose()

    return asyncio.run(main())


@contextmanager
def serving(settings: Settings, embedder: OnnxMiniLM) -> Iterator[ServerThread]:
    app = create_app(settings, Runtime(settings, embedder=embedder))
    with ServerThread(app, **{**server_options(settings), "log_level": "warning"}) as running:
        yield running


def signed_in(server: ServerThread, email: str) -> httpx.Client:
    return sign_in(server, email)
