"""frontdesk secrets and frontdesk workspace: in-process, piped through a process, at a TTY."""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from frontdesk.accounts.service import get_or_create_workspace
from frontdesk.cli import cli
from frontdesk.db.engine import Database
from frontdesk.settings import Settings
from frontdesk.vault import service
from frontdesk.vault.cipher import Cipher, load_key

VALUE = "crm-7b2e-secret-value"
EXE = Path(sys.executable).with_name("frontdesk")
Run = Callable[..., Result]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run(data_dir: Path) -> Run:
    def invoke(*args: str, input: str | None = None, ok: bool = True) -> Result:
        result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], input=input, obj={})
        if ok:
            assert result.exit_code == 0, result.output + str(result.exception)
        return result

    return invoke


def stored(data_dir: Path) -> dict[str, str]:
    """The default workspace's secrets, decrypted with the data directory's key."""

    async def main() -> dict[str, str]:
        db = Database(Settings(data_dir=data_dir).sqlalchemy_url)
        cipher = Cipher(load_key(None, data_dir))
        try:
            async with db.session() as session:
                workspace = await get_or_create_workspace(session)
                names = [s.name for s in await service.list_secrets(session, workspace.id)]
                return await service.resolve(session, cipher, workspace.id, names)
        finally:
            await db.dispose()

    return asyncio.run(main())


@pytest.mark.usefixtures("database")
def test_set_list_delete(run: Run, data_dir: Path) -> None:
    first = run("secrets", "set", "CRM_KEY", input=VALUE + "\n")
    assert "Set secret CRM_KEY" in first.output and VALUE not in first.output
    replaced = run("secrets", "set", "CRM_KEY", input="  spaced value  ")
    assert "Replaced secret CRM_KEY" in replaced.output
    run("secrets", "set", "HELPDESK_TOKEN", input=VALUE)
    assert stored(data_dir) == {"CRM_KEY": "  spaced value  ", "HELPDESK_TOKEN": VALUE}

    table = run("secrets", "list").output
    assert "CRM_KEY" in table and "HELPDESK_TOKEN" in table and VALUE not in table
    listed = json.loads(run("secrets", "list", "--json").output)
    assert [s["name"] for s in listed] == ["CRM_KEY", "HELPDESK_TOKEN"]
    assert set(listed[0]) == {"name", "updated_at"}

    assert "Deleted secret CRM_KEY" in run("secrets", "delete", "CRM_KEY").output
    again = run("secrets", "delete", "CRM_KEY", ok=False)
    assert again.exit_code == 1 and "no secret named CRM_KEY" in again.output
    assert stored(data_dir) == {"HELPDESK_TOKEN": VALUE}


@pytest.mark.usefixtures("database")
def test_bad_name_and_empty_value_are_refused(run: Run) -> None:
    bad = run("secrets", "set", "crm-key", input=VALUE, ok=False)
    assert bad.exit_code == 2 and "upper-case letters" in bad.output
    empty = run("secrets", "set", "CRM_KEY", input="", ok=False)
    assert empty.exit_code == 1 and "value is empty" in empty.output


@pytest.mark.usefixtures("database")
def test_value_piped_into_the_real_command(data_dir: Path) -> None:
    args = [str(EXE), "--data-dir", str(data_dir), "secrets", "set", "PIPED"]
    # printf %s value | frontdesk secrets set PIPED
    done = subprocess.run(args, input=VALUE, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert VALUE not in done.stdout + done.stderr
    assert stored(data_dir) == {"PIPED": VALUE}


def _read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.usefixtures("database")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pseudo-terminal")
def test_at_a_terminal_the_value_is_prompted_for_and_not_echoed(data_dir: Path) -> None:
    import pty

    args = [str(EXE), "--data-dir", str(data_dir), "secrets", "set", "TYPED"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin and controlling terminal are the pty
        os.execv(args[0], args)
    try:
        prompt = _read_until(fd, b"Value for TYPED")
        assert b"Value for TYPED" in prompt, prompt
        os.write(fd, VALUE.encode() + b"\n")
        rest = _read_until(fd, b"secret TYPED.")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, rest
    assert VALUE.encode() not in prompt + rest  # hidden input: the terminal did not echo it
    assert stored(data_dir) == {"TYPED": VALUE}


@pytest.mark.usefixtures("database")
def test_workspace_allowed_hosts(run: Run) -> None:
    empty = run("workspace", "hosts")
    assert "No allowed hosts" in empty.output
    assert run("workspace", "allow-host", "127.0.0.1:8081").output.split() == ["127.0.0.1:8081"]
    assert run("workspace", "allow-host", "Intranet.Local").output.split() == [
        "127.0.0.1:8081",
        "intranet.local",
    ]
    run("workspace", "allow-host", "intranet.local")  # already there: no duplicate
    assert json.loads(run("workspace", "hosts", "--json").output) == [
        "127.0.0.1:8081",
        "intranet.local",
    ]
    left = run("workspace", "disallow-host", "INTRANET.local").output.split()
    assert left == ["127.0.0.1:8081"]
    gone = run("workspace", "disallow-host", "intranet.local", ok=False)
    assert gone.exit_code == 1 and "not an allowed host" in gone.output
    bad = run("workspace", "allow-host", "http://intranet.local/x", ok=False)
    assert bad.exit_code == 1 and "not a host name" in bad.output
    assert run("workspace", "hosts").output.split() == ["127.0.0.1:8081"]
