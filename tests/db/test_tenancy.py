"""get_in_workspace: another workspace's row is answered exactly like a missing one."""

from __future__ import annotations

import pytest

from app_fixtures import Started
from frontdesk.accounts.models import Member
from frontdesk.accounts.service import create_member, create_workspace
from frontdesk.db.tenancy import get_in_workspace
from frontdesk.errors import NotFound


async def test_a_row_of_another_workspace_is_not_found(started: Started) -> None:
    db = started.runtime.db
    async with db.transaction() as session:
        other = await create_workspace(session, "Other shop")
        theirs = await create_member(session, other.id, "sam@other.example", "long password 1")
        ours = await create_member(session, started.workspace_id, "ann@ours.example", "pw 12345678")

    async with db.session() as session:
        found = await get_in_workspace(session, Member, started.workspace_id, ours.id, "member")
        assert found.email == "ann@ours.example"
        with pytest.raises(NotFound) as foreign:
            await get_in_workspace(session, Member, started.workspace_id, theirs.id, "member")
        with pytest.raises(NotFound) as missing:
            await get_in_workspace(session, Member, started.workspace_id, "mem_nobody", "member")

    assert str(foreign.value) == f"There is no member '{theirs.id}'."
    assert str(missing.value) == "There is no member 'mem_nobody'."
