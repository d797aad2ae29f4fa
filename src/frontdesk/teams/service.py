"""Teams of a workspace: create, change, delete, and who is in which."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Member
from frontdesk.db.tenancy import get_in_workspace
from frontdesk.db.unique import unique_or
from frontdesk.errors import Conflict, InvalidInput
from frontdesk.tags.names import check_name as check_tag
from frontdesk.teams.models import Team, TeamMember
from frontdesk.teams.schemas import TeamIn, TeamMemberOut, TeamOut

# Open conversations assigned to each of these members (conversations know; teams don't).
OpenCounts = Callable[[AsyncSession, Sequence[str]], Awaitable[dict[str, int]]]


def check_team_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput("A team needs a name, e.g. 'Finance'.", field="name")
    return name


async def list_teams(session: AsyncSession, workspace_id: str) -> list[Team]:
    rows = await session.scalars(
        select(Team).where(Team.workspace_id == workspace_id).order_by(Team.created_at, Team.id)
    )
    return list(rows)


async def get_team(session: AsyncSession, workspace_id: str, team_id: str) -> Team:
    return await get_in_workspace(session, Team, workspace_id, team_id, "team")


async def team_named(session: AsyncSession, workspace_id: str, name: str) -> Team | None:
    """A team by name, ignoring case and spacing (rules name teams by name)."""
    wanted = check_team_name(name).lower()
    for team in await list_teams(session, workspace_id):
        if team.name.lower() == wanted:
            return team
    return None


def _name_taken(name: str) -> Conflict:
    return Conflict(f"There is already a team called '{name}'.")


async def create_team(session: AsyncSession, workspace_id: str, body: TeamIn) -> Team:
    name = check_team_name(body.name)
    if await team_named(session, workspace_id, name):
        raise _name_taken(name)
    team = Team(
        workspace_id=workspace_id,
        name=name,
        route_tags=_tags(body.route_tags),
        auto_assign=body.auto_assign,
        max_open=body.max_open,
    )
    async with unique_or(session, _name_taken(name)):
        session.add(team)
    await _set_members(session, team, body.members)
    return team


async def update_team(session: AsyncSession, team: Team, changes: dict[str, Any]) -> Team:
    """Change what ``changes`` names (conversations.team_changes.update_team also tells the
    conversations showing the team)."""
    if "name" in changes and changes["name"] is not None:
        name = check_team_name(changes["name"])
        other = await team_named(session, team.workspace_id, name)
        if other is not None and other.id != team.id:
            raise _name_taken(name)
        team.name = name
    if changes.get("route_tags") is not None:
        team.route_tags = _tags(changes["route_tags"])
    if changes.get("auto_assign") is not None:
        team.auto_assign = changes["auto_assign"]
    if changes.get("max_open") is not None:
        team.max_open = changes["max_open"]
    if changes.get("members") is not None:
        await _set_members(session, team, changes["members"])
    # Its caller (conversations.team_changes) holds the event stream: renames take turns.
    await session.flush()
    return team


async def member_ids(session: AsyncSession, team_id: str) -> list[str]:
    rows = await session.scalars(
        select(TeamMember.member_id)
        .join(Member, Member.id == TeamMember.member_id)
        .where(TeamMember.team_id == team_id)
        .order_by(Member.created_at, Member.id)
    )
    return list(rows)


async def teams_of(session: AsyncSession, member_id: str) -> list[str]:
    rows = await session.scalars(
        select(TeamMember.team_id).where(TeamMember.member_id == member_id)
    )
    return list(rows)


async def describe_teams(
    session: AsyncSession, teams: Sequence[Team], open_counts: OpenCounts
) -> list[TeamOut]:
    """Teams with their members, presence and open conversations (``open_counts`` counts a
    member's; see conversations.routing.open_counts), in three queries."""
    rows = (
        await session.execute(
            select(TeamMember.team_id, Member)
            .join(Member, Member.id == TeamMember.member_id)
            .where(TeamMember.team_id.in_([t.id for t in teams]))
            .order_by(Member.created_at, Member.id)
        )
    ).all()
    members: dict[str, list[Member]] = {}
    for team_id, member in rows:
        members.setdefault(team_id, []).append(member)
    counts = await open_counts(session, list({m.id for _, m in rows}))
    out = []
    for team in teams:
        people = [
            TeamMemberOut(
                id=m.id, name=m.name, presence=m.presence, open_conversations=counts[m.id]
            )
            for m in members.get(team.id, [])
        ]
        out.append(
            TeamOut(
                id=team.id,
                name=team.name,
                members=people,
                route_tags=list(team.route_tags or []),
                auto_assign=team.auto_assign,
                max_open=team.max_open,
                online=sum(p.presence == "online" for p in people),
                created_at=team.created_at,
            )
        )
    return out


async def _set_members(session: AsyncSession, team: Team, ids: Sequence[str]) -> None:
    wanted = list(dict.fromkeys(ids))
    if wanted:
        found = set(
            await session.scalars(
                select(Member.id).where(
                    Member.id.in_(wanted), Member.workspace_id == team.workspace_id
                )
            )
        )
        missing = [i for i in wanted if i not in found]
        if missing:
            raise InvalidInput(f"There is no member '{missing[0]}'.", field="members")
    await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    session.add_all(TeamMember(team_id=team.id, member_id=i) for i in wanted)
    await session.flush()


def _tags(raw: Sequence[str]) -> list[str]:
    return sorted({check_tag(t, field="route_tags") for t in raw})
