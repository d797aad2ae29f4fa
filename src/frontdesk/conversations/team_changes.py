"""A team renamed or deleted: what its conversations show, and its queue.

The conversations' own moves (take over, hand off, assign, ...) are in lifecycle.py; these
change the team under them, with the locks taken in the order of db/locks.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations import routing
from frontdesk.conversations.lifecycle import fill
from frontdesk.conversations.thread import announce_many
from frontdesk.db.locks import lock, locks_rows
from frontdesk.errors import Conflict
from frontdesk.events.store import hold
from frontdesk.teams import service as teams
from frontdesk.teams.models import Team


async def update_team(session: AsyncSession, team: Team, changes: dict[str, Any]) -> Team:
    """Change a team; its conversations show a new name, and its queue may move.

    Locks in the order of db/locks.py: the conversations a new name is announced to, the
    workspace's event stream, then the team (a handoff holds its conversation and takes the
    team after the stream)."""
    renamed = changes.get("name") is not None
    routed = await routing.routed_to(session, team, lock=True) if renamed else []
    await hold(session, team.workspace_id)
    await lock(session, team)
    name = team.name
    await teams.update_team(session, team, changes)
    if team.name != name:
        await announce_many(session, routed, ["team"])
    await fill(session, team)
    return team


async def delete_team(session: AsyncSession, team: Team) -> None:
    """Its conversations stay where they are, without a team (everyone sees them).

    Locks its conversations, then the workspace's event stream, then the team (the order of
    db/locks.py). A handoff or move that sent a conversation here held the stream and the
    team before this transaction did, and has committed by now: its conversation is read
    again, locked without waiting (its holder may be waiting for the stream we hold); one
    another transaction holds is a Conflict, so that no conversation keeps a deleted team."""
    routed = await routing.routed_to(session, team, lock=True)
    await hold(session, team.workspace_id)
    await lock(session, team)
    if locks_rows(session):
        routed = await routing.routed_to(session, team, lock=True, skip_locked=True)
        if len(routed) < await routing.count_routed(session, team):
            raise Conflict("A conversation is being sent to this team right now; try again.")
    for conversation in routed:
        conversation.team_id = None
    await session.delete(team)
    await announce_many(session, routed, ["team"])
