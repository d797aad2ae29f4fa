"""`frontdesk users set-password`: an owner resets a forgotten password from the server shell."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from frontdesk.accounts.models import AuthSession, Member
from frontdesk.accounts.service import authenticate, start_session
from frontdesk.cli import cli
from frontdesk.db.engine import Database
from frontdesk.errors import Unauthorized
from frontdesk.settings import Settings


def _invoke(data_dir: Path, *args: str, typed: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], input=typed, obj={})


def _set_password(data_dir: Path, email: str, typed: str) -> Result:
    """Run set-password, typing the password and its confirmation at the hidden prompts."""
    return _invoke(data_dir, "users", "set-password", "--email", email, typed=f"{typed}\n{typed}\n")


def _db(data_dir: Path) -> Database:
    return Database(Settings(data_dir=data_dir).sqlalchemy_url)


async def _sign_in_somewhere(data_dir: Path, email: str) -> None:
    db = _db(data_dir)
    try:
        async with db.transaction() as session:
            member = await session.scalar(select(Member).where(Member.email == email))
            assert member is not None
            await start_session(session, member, days=1)
    finally:
        await db.dispose()


async def _state(data_dir: Path, email: str, password: str) -> tuple[bool, int]:
    """Whether the password signs in, and how many sessions the member has."""
    db = _db(data_dir)
    try:
        async with db.session() as session:
            try:
                member = await authenticate(session, email, password)
            except Unauthorized:
                return False, -1
            count = await session.scalar(
                select(func.count()).where(AuthSession.member_id == member.id)
            )
            return True, int(count or 0)
    finally:
        await db.dispose()


@pytest.mark.usefixtures("database")
def test_set_password_prompts_hidden_and_ends_sessions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = _invoke(
        data, "users", "create", "--email", "olive@ridgeline.test", "--password", "x" * 9
    )
    assert made.exit_code == 0, made.output
    asyncio.run(_sign_in_somewhere(data, "olive@ridgeline.test"))

    short = _set_password(data, "olive@ridgeline.test", "short")
    assert short.exit_code == 1 and "at least 8 characters" in short.output

    typed = "a new long passphrase"
    done = _set_password(data, "Olive@Ridgeline.test", typed)
    assert done.exit_code == 0, done.output
    assert "New password:" in done.output and typed not in done.output
    assert "sessions have ended" in done.output
    assert asyncio.run(_state(data, "olive@ridgeline.test", typed)) == (True, 0)
    assert asyncio.run(_state(data, "olive@ridgeline.test", "x" * 9)) == (False, -1)

    unknown = _set_password(data, "nobody@ridgeline.test", typed)
    assert unknown.exit_code == 1 and "no member nobody@ridgeline.test" in unknown.output
