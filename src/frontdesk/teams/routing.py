"""Which team a handoff goes to, who in it is online, and round-robin auto-assignment.

A conversation's team is set by the first keyword or topic rule naming one (``team:`` in the
agent's rules) and otherwise, at handoff, by the first team whose route tags it carries.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Member
from frontdesk.conversations.models import PRIORITIES, Conversation
from frontdesk.conversations.thread import announce_changes, system_note
from frontdesk.tags.queries import tags_of
from frontdesk.teams.models import Team
from frontdesk.teams.service import (
    get_team,
    list_teams,
    member_ids,
    open_counts,
    team_named,
    teams_of,
)


async def note_rule_team(session: AsyncSession, conversation: Conversation, name: str) -> None:
    """A rule named a team: the conversation goes there when it is handed off (the first
    rule to name one wins; an unknown name is ignored, the conversation then routes by tag)."""
    if conversation.team_id is not None or not name.strip():
        return
    team = await team_named(session, conversation.workspace_id, name)
    if team is not None:
        conversation.team_id = team.id
        await announce_changes(session, conversation, ["team"])


async def team_for(session: AsyncSession, conversation: Conversation) -> Team | None:
    if conversation.team_id is not None:
        team = await session.get(Team, conversation.team_id)
        if team is not None:
            return team
    names = {
        name for name, _ in (await tags_of(session, [conversation.id])).get(conversation.id, [])
    }
    if not names:
        return None
    for team in await list_teams(session, conversation.workspace_id):
        if names.intersection(team.route_tags or ()):
            return team
    return None


async def online_members(session: AsyncSession, team: Team) -> list[Member]:
    """The team's members who are online now, in the order they joined the workspace."""
    ids = await member_ids(session, team.id)
    if not ids:
        return []
    rows = await session.scalars(
        select(Member).where(Member.id.in_(ids), Member.presence == "online")
    )
    by_id = {m.id: m for m in rows}
    return [by_id[i] for i in ids if i in by_id]


async def next_assignee(session: AsyncSession, team: Team) -> Member | None:
    """Round-robin: the next online member after the last one assigned who holds fewer than
    ``max_open`` open conversations; None when everyone is offline, away or full."""
    online = await online_members(session, team)
    if not online:
        return None
    order = [m.id for m in online]
    start = 0
    if team.last_assigned_id in order:
        start = order.index(team.last_assigned_id) + 1
    else:
        # The last one went offline or left: continue after them in the full list.
        everyone = await member_ids(session, team.id)
        if team.last_assigned_id in everyone:
            after = everyone[everyone.index(team.last_assigned_id) + 1 :]
            start = next((order.index(m) for m in after if m in order), 0)
    counts = await open_counts(session, order)
    for offset in range(len(online)):
        member = online[(start + offset) % len(online)]
        if counts[member.id] < team.max_open:
            return member
    return None


async def auto_assign(session: AsyncSession, conversation: Conversation, team: Team) -> bool:
    """Give a waiting, unassigned conversation to the team's next member, if it auto-assigns."""
    if not team.auto_assign or conversation.status != "waiting" or conversation.assignee_id:
        return False
    member = await next_assignee(session, team)
    if member is None:
        return False
    team.last_assigned_id = member.id
    conversation.assignee_id = member.id
    conversation.status = "human"
    conversation.waiting_since = None
    conversation.drop_held_handoff()
    await system_note(
        session,
        conversation,
        "assigned",
        f"Assigned to {member.name} ({team.name}, round-robin)",
        {"auto": True, "team_id": team.id, "member_id": member.id},
    )
    await announce_changes(session, conversation, ["status", "assignee"])
    return True


async def fill(session: AsyncSession, team: Team, skip: str | None = None) -> int:
    """Assign the team's waiting conversations (most urgent, then longest waiting first)
    while someone online has room; returns how many were assigned."""
    if not team.auto_assign:
        return 0
    rows = await session.scalars(
        select(Conversation)
        .where(
            Conversation.team_id == team.id,
            Conversation.status == "waiting",
            Conversation.assignee_id.is_(None),
            Conversation.id != (skip or ""),
        )
        .order_by(Conversation.waiting_since, Conversation.id)
    )
    queue = sorted(rows, key=lambda c: -PRIORITIES.index(c.priority))
    assigned = 0
    for conversation in queue:
        if not await auto_assign(session, conversation, team):
            break
        assigned += 1
    return assigned


async def fill_teams_of(
    session: AsyncSession, workspace_id: str, member_id: str | None, skip: str | None = None
) -> None:
    """A member came online or an open conversation of theirs closed or moved on: the
    queues of their auto-assigning teams may move."""
    if member_id is None:
        return
    for team_id in await teams_of(session, member_id):
        await fill(session, await get_team(session, workspace_id, team_id), skip)
