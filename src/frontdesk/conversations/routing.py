"""Which team a handoff goes to, who in it is online, who is next in round-robin (queries;
the moves themselves are in :mod:`frontdesk.conversations.lifecycle`).

A conversation's team is set by the first keyword or topic rule naming one (``team:`` in the
agent's rules) and otherwise, at handoff, by the first team whose route tags it carries.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Member
from frontdesk.conversations.models import Conversation, Status
from frontdesk.db.locks import locked
from frontdesk.tags.queries import tags_of
from frontdesk.teams.models import Team
from frontdesk.teams.service import list_teams, member_ids

ASSIGNED = (Status.WAITING, Status.HUMAN)  # an assigned conversation in these counts as open


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


async def open_counts(session: AsyncSession, member_ids: Sequence[str]) -> dict[str, int]:
    """Open conversations assigned to each member."""
    if not member_ids:
        return {}
    rows = await session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.assignee_id.in_(member_ids), Conversation.status.in_(ASSIGNED))
        .group_by(Conversation.assignee_id)
    )
    counts: dict[str, int] = {str(k): int(v) for k, v in rows.all()}
    return {m: counts.get(m, 0) for m in member_ids}


async def routed_to(
    session: AsyncSession, team: Team, lock: bool = False, skip_locked: bool = False
) -> list[Conversation]:
    """The conversations sent to the team; with ``lock``, locked (in the order of their ids,
    so two transactions locking several take them in the same order) and read as committed;
    with ``skip_locked`` too, without those another transaction holds."""
    query = select(Conversation).where(Conversation.team_id == team.id)
    if not lock:
        return list(await session.scalars(query))
    query = query.order_by(Conversation.id).with_for_update(skip_locked=skip_locked)
    rows = list(await session.scalars(query.execution_options(populate_existing=True)))
    locked(session, rows)
    return rows


async def count_routed(session: AsyncSession, team: Team) -> int:
    """How many conversations are sent to the team, as committed."""
    query = select(func.count()).select_from(Conversation).where(Conversation.team_id == team.id)
    return int(await session.scalar(query) or 0)
