"""The secret store on a real SQLite file: encryption at rest, keys, workspaces, hosts."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update

from frontdesk.accounts.service import create_workspace, get_or_create_workspace
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.vault import hosts, service
from frontdesk.vault.cipher import KEY_FILE, SecretKeyError, parse_key
from frontdesk.vault.models import Secret

VALUE = "hd-token-5a1e0b7c-plaintext"


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    # No embedder: nothing here embeds, so the model is never loaded.
    running = Runtime(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.close()


async def workspace_id(runtime: Runtime, name: str | None = None) -> str:
    """The default workspace, or a new one called ``name``."""
    async with runtime.db.transaction() as session:
        if name is None:
            return (await get_or_create_workspace(session)).id
        return (await create_workspace(session, name)).id


async def set_value(runtime: Runtime, workspace: str, name: str, value: str) -> bool:
    async with runtime.db.transaction() as session:
        _, created = await service.put_secret(session, runtime.cipher, workspace, name, value)
    return created


async def resolve(runtime: Runtime, workspace: str, *names: str) -> dict[str, str]:
    async with runtime.db.session() as session:
        return await service.resolve(session, runtime.cipher, workspace, names)


@pytest.mark.sqlite  # reads the SQLite file's bytes
async def test_values_are_encrypted_in_the_database_file(
    runtime: Runtime, settings: Settings
) -> None:
    ws = await workspace_id(runtime)
    assert await set_value(runtime, ws, "HELPDESK_TOKEN", VALUE + "\n") is True
    assert await resolve(runtime, ws, "HELPDESK_TOKEN") == {"HELPDESK_TOKEN": VALUE}
    await runtime.db.dispose()  # let SQLite settle its WAL, as a stopped server would

    files = sorted(settings.data_dir.glob("frontdesk.db*"))
    stored = b"".join(path.read_bytes() for path in files)
    assert b"HELPDESK_TOKEN" in stored  # the right files were read
    assert VALUE.encode() not in stored
    assert base64.b64encode(VALUE.encode())[:12] not in stored


async def test_replacing_a_value_keeps_one_row_and_moves_updated_at(runtime: Runtime) -> None:
    ws = await workspace_id(runtime)
    assert await set_value(runtime, ws, "TOKEN", "first") is True
    async with runtime.db.session() as session:
        (before,) = await service.list_secrets(session, ws)
    assert await set_value(runtime, ws, "TOKEN", "second") is False
    async with runtime.db.session() as session:
        (after,) = await service.list_secrets(session, ws)
    assert after.id == before.id and after.updated_at > before.updated_at
    assert await resolve(runtime, ws, "TOKEN") == {"TOKEN": "second"}


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [("lower", "x", "name"), ("1ST", "x", "name"), ("A" * 65, "x", "name"), ("OK", "\n", "value")],
)
async def test_bad_names_and_values_are_refused(
    runtime: Runtime, name: str, value: str, field: str
) -> None:
    ws = await workspace_id(runtime)
    with pytest.raises(InvalidInput) as refused:
        await set_value(runtime, ws, name, value)
    assert refused.value.field == field


async def test_missing_secrets_are_named_unless_not_strict(runtime: Runtime) -> None:
    ws = await workspace_id(runtime)
    await set_value(runtime, ws, "PRESENT", "p")
    with pytest.raises(NotFound, match="Secret ABSENT is not set"):
        await resolve(runtime, ws, "PRESENT", "ABSENT")
    async with runtime.db.session() as session:
        found = await service.resolve(
            session, runtime.cipher, ws, ["PRESENT", "ABSENT"], strict=False
        )
    assert found == {"PRESENT": "p"}
    async with runtime.db.transaction() as session:
        await service.delete_secret(session, ws, "PRESENT")
    with pytest.raises(NotFound, match="no secret named PRESENT"):
        async with runtime.db.transaction() as session:
            await service.delete_secret(session, ws, "PRESENT")


async def test_workspaces_do_not_share_secrets(runtime: Runtime) -> None:
    first, second = await workspace_id(runtime), await workspace_id(runtime, "Second")
    await set_value(runtime, first, "TOKEN", "first-value")
    async with runtime.db.session() as session:
        assert await service.list_secrets(session, second) == []
    with pytest.raises(NotFound):
        await resolve(runtime, second, "TOKEN")
    with pytest.raises(NotFound):
        async with runtime.db.transaction() as session:
            await service.delete_secret(session, second, "TOKEN")

    # Even a ciphertext copied across workspaces does not open: it is bound to its owner.
    await set_value(runtime, second, "TOKEN", "second-value")
    async with runtime.db.transaction() as session:
        copied = await session.scalar(select(Secret.ciphertext).where(Secret.workspace_id == first))
        await session.execute(
            update(Secret).where(Secret.workspace_id == second).values(ciphertext=copied)
        )
    with pytest.raises(SecretKeyError):
        await resolve(runtime, second, "TOKEN")
    assert await resolve(runtime, first, "TOKEN") == {"TOKEN": "first-value"}


async def test_the_key_file_is_private_and_a_wrong_key_is_a_clear_error(
    runtime: Runtime, settings: Settings
) -> None:
    ws = await workspace_id(runtime)
    await set_value(runtime, ws, "TOKEN", VALUE)
    key_file = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    other = Settings(
        data_dir=settings.data_dir, secret_key=base64.b64encode(os.urandom(32)).decode()
    )
    wrong = Runtime(other)
    try:
        with pytest.raises(SecretKeyError, match="FRONTDESK_SECRET_KEY") as refused:
            await resolve(wrong, ws, "TOKEN")
        assert VALUE not in str(refused.value)
    finally:
        await wrong.close()

    same = Runtime(Settings(data_dir=settings.data_dir, secret_key=key_file.read_text()))
    try:
        assert await resolve(same, ws, "TOKEN") == {"TOKEN": VALUE}
    finally:
        await same.close()


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_key_is_refused(text: str) -> None:
    with pytest.raises(SecretKeyError, match="FRONTDESK_SECRET_KEY"):
        parse_key(text)


async def test_allowed_hosts_are_normalised_and_kept_per_workspace(runtime: Runtime) -> None:
    first, second = await workspace_id(runtime), await workspace_id(runtime, "Second")
    async with runtime.db.transaction() as session:
        saved = await hosts.set_allowed_hosts(
            session, first, [" Intranet.LOCAL ", "127.0.0.1:8081", "intranet.local", "[::1]:9000"]
        )
    assert saved == ["intranet.local", "127.0.0.1:8081", "[::1]:9000"]
    async with runtime.db.transaction() as session:
        assert await hosts.allow_host(session, first, "10.0.0.5") == [*saved, "10.0.0.5"]
        assert await hosts.disallow_host(session, first, "INTRANET.local") == [
            "127.0.0.1:8081",
            "[::1]:9000",
            "10.0.0.5",
        ]
        assert await hosts.allowed_hosts(session, second) == []
    with pytest.raises(NotFound, match=r"intranet\.local is not an allowed host"):
        async with runtime.db.transaction() as session:
            await hosts.disallow_host(session, first, "intranet.local")
    with pytest.raises(InvalidInput) as refused:
        async with runtime.db.transaction() as session:
            await hosts.set_allowed_hosts(session, first, ["ok.local", "http://x.local/path"])
    assert refused.value.field == "hosts.1" and "http://x.local/path" in refused.value.message
