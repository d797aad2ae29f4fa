"""Two writers of the same row at once, on PostgreSQL: both succeed.

Each product write here first looks for its row and then inserts it. Under PostgreSQL's
read committed, a second writer starting before the first commits finds nothing, inserts,
waits on the first's row lock and, with a plain insert, failed on the key when the first
committed (a 500 for a request, a failed source for an ingestion). SQLite's writers take the
write lock before they read, so they never overlap there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app_fixtures import Started
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.invites import create_invite
from frontdesk.accounts.service import create_member, create_workspace
from frontdesk.agents import service as agents
from frontdesk.alerts import preferences
from frontdesk.conversations import lifecycle, repository
from frontdesk.conversations.messages import post_visitor_message
from frontdesk.conversations.models import Conversation, Message, ReadMark
from frontdesk.conversations.tagging import add_member_tag
from frontdesk.conversations.team_changes import update_team
from frontdesk.db.engine import Database
from frontdesk.errors import Conflict
from frontdesk.insights.models import GapTitle
from frontdesk.insights.titles import keep_title
from frontdesk.knowledge import repository as knowledge
from frontdesk.replies import library as replies
from frontdesk.tags.catalog import ensure_tags, find_tag, update_tag
from frontdesk.tags.models import ConversationTag
from frontdesk.teams.schemas import TeamIn
from frontdesk.teams.service import create_team, get_team, member_ids, team_named
from frontdesk.vault import service as vault
from row_locks import wait_behind

pytestmark = pytest.mark.postgres

T = TypeVar("T")


async def overlapping(
    db: Database,
    first: Callable[[AsyncSession], Awaitable[object]],
    second: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """Run ``second`` in a transaction of its own while ``first``'s writes are flushed and
    not committed; commit ``first`` once ``second`` waits on its lock; ``second``'s result."""

    async def write(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with db.transaction() as session:
            return await action(session)

    async with db.transaction() as session:
        await first(session)
        await session.flush()
        task = asyncio.create_task(write(second))
        await wait_behind(db, session, task)
        if task.done():
            task.result()
            raise AssertionError("the second write did not wait for the first")
    async with asyncio.timeout(30):
        return await task


async def _conversation(started: Started) -> tuple[Conversation, Caller, Caller]:
    agent = await started.agent("Dealer")
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await post_visitor_message(session, conversation, "Hello?", None, 4000)
        await post_visitor_message(session, conversation, "Anyone there?", None, 4000)
        ann = await create_member(
            session, started.workspace_id, "ann@x.test", "long password 1", name="Ann"
        )
        bob = await create_member(
            session, started.workspace_id, "bob@x.test", "long password 2", name="Bob"
        )
    return (
        conversation,
        Caller(started.workspace_id, "agent", "session", ann.id, "Ann"),
        Caller(started.workspace_id, "agent", "session", bob.id, "Bob"),
    )


async def _current(session: AsyncSession, started: Started, conversation_id: str) -> Conversation:
    return await repository.get_conversation(session, started.workspace_id, conversation_id)


async def test_two_ingestions_caching_the_same_text_at_once(started: Started) -> None:
    db = started.runtime.db

    async def store(vectors: dict[str, bytes]) -> Callable[[AsyncSession], Awaitable[None]]:
        return lambda session: knowledge.store_vectors(session, "model", vectors)

    await overlapping(
        db, await store({"same": b"first"}), await store({"same": b"second", "new": b"more"})
    )
    async with db.session() as session:
        cached = await knowledge.cached_vectors(session, "model", ["same", "new"])
    assert cached == {"same": b"first", "new": b"more"}


async def test_two_tabs_marking_a_conversation_read_at_once_keep_the_further_mark(
    started: Started,
) -> None:
    conversation, ann, _ = await _conversation(started)
    assert ann.member_id is not None
    member_id = ann.member_id

    def mark(seq: int) -> Callable[[AsyncSession], Awaitable[None]]:
        async def write(session: AsyncSession) -> None:
            current = await _current(session, started, conversation.id)
            await repository.mark_read(session, member_id, current, seq)

        return write

    await overlapping(started.runtime.db, mark(2), mark(1))
    async with started.runtime.db.session() as session:
        marks = list(await session.scalars(select(ReadMark.seq)))
    assert marks == [2]


@pytest.mark.parametrize("in_catalog", [True, False], ids=["known tag", "new tag"])
async def test_two_members_adding_the_same_tag_at_once_tag_it_once(
    started: Started, in_catalog: bool
) -> None:
    conversation, ann, bob = await _conversation(started)
    if in_catalog:
        async with started.runtime.changes() as session:
            await ensure_tags(session, started.workspace_id, ["financing"])

    def tag(caller: Caller) -> Callable[[AsyncSession], Awaitable[None]]:
        async def write(session: AsyncSession) -> None:
            current = await _current(session, started, conversation.id)
            await add_member_tag(session, caller, current, "financing")

        return write

    await overlapping(started.runtime.db, tag(ann), tag(bob))
    async with started.runtime.db.session() as session:
        tags = list(await session.scalars(select(ConversationTag.added_by)))
        notes = list(await session.scalars(select(Message.text).where(Message.event == "tagged")))
    assert tags == ["member"]
    assert notes == ["Ann added tag financing"]  # only the one who tagged it is said to have


async def test_a_member_switching_email_alerts_twice_at_once_keeps_the_last(
    started: Started,
) -> None:
    _, ann, _ = await _conversation(started)

    def switch(enabled: bool) -> Callable[[AsyncSession], Awaitable[bool]]:
        return lambda session: preferences.set_email_alerts(session, ann, enabled)

    assert await overlapping(started.runtime.db, switch(False), switch(True)) is True
    async with started.runtime.db.session() as session:
        assert await preferences.email_alerts(session, ann) is True


async def test_two_processes_keeping_a_gap_title_at_once_keep_the_first(
    started: Started,
) -> None:
    agent = await started.agent("Dealer")

    def keep(title: str) -> Callable[[AsyncSession], Awaitable[None]]:
        return lambda session: keep_title(session, agent.id, "group", title, "model")

    await overlapping(started.runtime.db, keep("Towing capacity"), keep("Trailer towing"))
    async with started.runtime.db.session() as session:
        assert list(await session.scalars(select(GapTitle.title))) == ["Towing capacity"]


async def test_two_admins_setting_a_teams_members_at_once_leave_the_second_set(
    started: Started,
) -> None:
    _, ann, bob = await _conversation(started)
    assert ann.member_id is not None and bob.member_id is not None
    both = [ann.member_id, bob.member_id]
    async with started.runtime.changes() as session:
        team = await create_team(session, started.workspace_id, TeamIn(name="Sales", members=both))

    def members(ids: list[str]) -> Callable[[AsyncSession], Awaitable[object]]:
        async def write(session: AsyncSession) -> object:
            current = await get_team(session, started.workspace_id, team.id)
            return await update_team(session, current, {"members": ids})

        return write

    await overlapping(started.runtime.db, members([ann.member_id]), members([bob.member_id]))
    async with started.runtime.db.session() as session:
        assert await member_ids(session, team.id) == [bob.member_id]


Write = Callable[[AsyncSession], Awaitable[object]]


def _taken_twice(started: Started) -> dict[str, tuple[Write, Write, str]]:
    """Per key a person chooses: a write that takes it, a second that takes it too, and what
    the second is told."""
    ws = started.workspace_id
    runtime = started.runtime
    admin = Caller(ws, "owner", "session", None, "Owner")

    async def rename_agent(session: AsyncSession, old: str, new: str) -> object:
        agent = await agents.find_agent(session, ws, old)
        return await agents.update_agent(session, agent, {"name": new})

    async def rename_team(session: AsyncSession, old: str, new: str) -> object:
        team = await team_named(session, ws, old)
        assert team is not None
        return await update_team(session, team, {"name": new})

    async def rename_reply(session: AsyncSession, old: str, new: str) -> object:
        [reply] = [r for r in await replies.list_replies(session, ws) if r.shortcut == old]
        return await replies.change_reply(session, ws, reply.id, new, None, None)

    async def rename_tag(session: AsyncSession, old: str, new: str) -> object:
        tag = await find_tag(session, ws, old)
        assert tag is not None
        return await update_tag(session, ws, tag.id, name=new)

    def secret(value: str) -> Write:
        return lambda session: vault.put_secret(session, runtime.cipher, ws, "CRM_TOKEN", value)

    return {
        "agent": (
            lambda s: agents.create_agent(s, ws, "Sales"),
            lambda s: agents.create_agent(s, ws, "Sales"),
            "An agent named 'Sales' already exists.",
        ),
        "agent renamed": (
            lambda s: rename_agent(s, "One", "Sales"),
            lambda s: rename_agent(s, "Two", "Sales"),
            "An agent named 'Sales' already exists.",
        ),
        "team": (
            lambda s: create_team(s, ws, TeamIn(name="Sales")),
            lambda s: create_team(s, ws, TeamIn(name="Sales")),
            "There is already a team called 'Sales'.",
        ),
        "team renamed": (
            lambda s: rename_team(s, "One", "Sales"),
            lambda s: rename_team(s, "Two", "Sales"),
            "There is already a team called 'Sales'.",
        ),
        "saved reply": (
            lambda s: replies.add_reply(s, ws, "hours", "Hours", "9 to 5"),
            lambda s: replies.add_reply(s, ws, "hours", "Hours", "8 to 6"),
            "Another saved reply already uses /hours.",
        ),
        "saved reply renamed": (
            lambda s: rename_reply(s, "one", "hours"),
            lambda s: rename_reply(s, "two", "hours"),
            "Another saved reply already uses /hours.",
        ),
        "tag renamed": (
            lambda s: rename_tag(s, "one", "vip"),
            lambda s: rename_tag(s, "two", "vip"),
            "There is already a tag 'vip'.",
        ),
        "account": (
            lambda s: create_member(s, ws, "cy@x.test", "long password 3"),
            lambda s: create_member(s, ws, "cy@x.test", "long password 4"),
            "There is already an account for cy@x.test.",
        ),
        "invitation": (
            lambda s: create_invite(s, admin, "dee@x.test", "agent", 7),
            lambda s: create_invite(s, admin, "dee@x.test", "admin", 7),
            "dee@x.test was invited by someone else at the same moment.",
        ),
        "secret": (
            secret("first"),
            secret("second"),
            "The secret 'CRM_TOKEN' was saved by another request just now.",
        ),
        "workspace": (
            lambda s: create_workspace(s, "Acme"),
            lambda s: create_workspace(s, "Acme"),
            "A workspace called 'Acme' was made at the same moment; try again.",
        ),
    }


async def _things_to_rename(started: Started) -> None:
    ws = started.workspace_id
    async with started.runtime.changes() as session:
        for name in ("One", "Two"):
            await agents.create_agent(session, ws, name)
            await create_team(session, ws, TeamIn(name=name))
        for shortcut in ("one", "two"):
            await replies.add_reply(session, ws, shortcut, shortcut.title(), "text")
        await ensure_tags(session, ws, ["one", "two"])


KEYS = [
    "agent",
    "agent renamed",
    "team",
    "team renamed",
    "saved reply",
    "saved reply renamed",
    "tag renamed",
    "account",
    "invitation",
    "secret",
    "workspace",
]


@pytest.mark.parametrize("key", KEYS)
async def test_a_key_taken_twice_at_once_is_a_conflict_that_says_so(
    started: Started, key: str
) -> None:
    await _things_to_rename(started)
    first, second, said = _taken_twice(started)[key]
    with pytest.raises(Conflict) as raised:
        await overlapping(started.runtime.db, first, second)
    assert raised.value.message == said
