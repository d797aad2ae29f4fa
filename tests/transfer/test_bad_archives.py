"""An archive that is damaged, edited, of another schema or sealed with another key is refused
with a clear error and a nonzero exit, before or in the one transaction: the target is left
exactly as it was, uploads included."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from transfer_support import DOCUMENT, ok, run_cli, table_counts

from app_fixtures import PASSWORD, with_database
from frontdesk.accounts.service import create_member, create_workspace
from frontdesk.agents import service as agents
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.vault.service import put_secret

OLGA = "olga@elsewhere.test"


@dataclass
class Source:
    data_dir: Path
    archive: Path
    key: str


async def _build(settings: Settings, embedder: OnnxMiniLM) -> None:
    runtime = Runtime(settings, embedder=embedder)
    try:
        workspace = await runtime.start()
        async with runtime.db.transaction() as session:
            await create_member(session, workspace.id, "sam@ridgeline.test", PASSWORD, name="Sam")
            agent = await agents.create_agent(session, workspace.id, "Ridgeline")
            await put_secret(session, runtime.cipher, workspace.id, "CRM_TOKEN", "crm-token")
            source = await runtime.knowledge.add_upload(
                session, agent, "storage.md", DOCUMENT.encode()
            )
        await runtime.knowledge.ingest(source.id)
    finally:
        await runtime.close()


@pytest.fixture
def source(tmp_path: Path, migrated_database: Path, embedder: OnnxMiniLM) -> Source:
    settings = with_database(Settings(data_dir=tmp_path / "source"), migrated_database)
    asyncio.run(_build(settings, embedder))
    archive = tmp_path / "ridgeline.zip"
    ok(run_cli(settings.data_dir, "export", "--out", str(archive)))
    key = (settings.data_dir / "secret.key").read_text().strip()
    return Source(settings.data_dir, archive, key)


async def _populate(settings: Settings, email: str) -> None:
    """A target in use: an empty default workspace and another one with a member."""
    runtime = Runtime(settings)
    try:
        await runtime.start()
        async with runtime.db.transaction() as session:
            other = await create_workspace(session, "Elsewhere")
            await create_member(session, other.id, email, PASSWORD)
    finally:
        await runtime.close()


@dataclass
class Target:
    settings: Settings
    env: dict[str, str]

    def state(self) -> tuple[dict[str, int], list[str]]:
        uploads = self.settings.uploads_dir
        files = sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*") if p.is_file())
        return table_counts(self.settings.sqlalchemy_url), files

    def import_(self, archive: Path) -> tuple[int, str]:
        result = run_cli(self.settings.data_dir, "import", str(archive), env=self.env)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        return result.exit_code, result.output


def _target(
    tmp_path: Path, key: str, request: pytest.FixtureRequest, kind: str, email: str = OLGA
) -> Target:
    folder = tmp_path / "target"
    # Named even for SQLite: under FRONTDESK_TEST_DATABASE=postgres the source is there.
    url = f"sqlite+aiosqlite:///{folder / 'frontdesk.db'}"
    if kind == "postgres":
        postgres = request.getfixturevalue("postgres_server")
        url = postgres.url(postgres.create())
    env = {"FRONTDESK_SECRET_KEY": key, "FRONTDESK_DATABASE_URL": url}
    settings = Settings(data_dir=folder, database_url=url, secret_key=key)
    asyncio.run(_populate(settings, email))
    return Target(settings, env)


def _rewrite(archive: Path, out: Path, change: Callable[[str, bytes], bytes]) -> Path:
    with zipfile.ZipFile(archive) as read, zipfile.ZipFile(out, "w") as write:
        for info in read.infolist():
            write.writestr(info.filename, change(info.filename, read.read(info.filename)))
    return out


def _manifest_with(**changes: object) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), **changes}).encode()

    return change


def _edited_row(name: str, data: bytes) -> bytes:
    return data.replace(b"Sam", b"Pam") if name == "tables/members.jsonl" else data


def _truncated(archive: Path, out: Path) -> Path:
    data = archive.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


_ESCAPING = {"path": "files/../../../etc/cron.d/x", "source_id": "..", "size": 1, "sha256": ""}

BROKEN: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "truncated": (_truncated, "damaged or truncated"),
    "not a zip": (lambda a, o: (o.write_text("id,name\n1,Sam\n"), o)[1], "not a Frontdesk"),
    "edited row": (lambda a, o: _rewrite(a, o, _edited_row), "does not match its checksum"),
    "older schema": (
        lambda a, o: _rewrite(a, o, _manifest_with(schema_revision="0015_saved_replies")),
        "exported at schema 0015_saved_replies",
    ),
    "newer format": (lambda a, o: _rewrite(a, o, _manifest_with(format_version=2)), "format 2"),
    "file outside its folder": (
        lambda a, o: _rewrite(a, o, _manifest_with(files=[_ESCAPING])),
        "unexpected file",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_archive_changes_nothing(
    case: str, source: Source, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    target = _target(tmp_path, source.key, request, "sqlite")
    before = target.state()
    make, message = BROKEN[case]
    code, output = target.import_(make(source.archive, tmp_path / "broken.zip"))
    assert code == 1 and message in " ".join(output.split()), output
    assert target.state() == before


def test_another_servers_key_is_refused_before_anything_is_written(
    source: Source, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    other_key = base64.b64encode(os.urandom(32)).decode()
    target = _target(tmp_path, other_key, request, "sqlite")
    before = target.state()
    code, output = target.import_(source.archive)
    assert code == 1 and "sealed with another key" in " ".join(output.split()), output
    assert target.state() == before


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_row_the_target_refuses_rolls_back_everything(
    kind: str, source: Source, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Member emails are unique across workspaces: the target's own Sam collides midway,
    # after the workspace, its agent and the uploaded file were written.
    target = _target(tmp_path, source.key, request, kind, email="sam@ridgeline.test")
    before = target.state()
    code, output = target.import_(source.archive)
    assert code == 1 and "refused the archive's rows" in " ".join(output.split()), output
    assert target.state() == before


def test_the_same_workspace_is_not_imported_twice(
    source: Source, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    target = _target(tmp_path, source.key, request, "sqlite")
    code, output = target.import_(source.archive)
    assert code == 0, output
    after = target.state()
    code, output = target.import_(source.archive)
    assert code == 1 and "already has workspace" in " ".join(output.split()), output
    assert target.state() == after
