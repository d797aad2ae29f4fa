"""Who owns a conversation: the AI (bot), nobody yet (waiting), a person (human), or closed.

Every change of status, assignee or team goes through :func:`move`: it checks the move,
keeps the fields that follow the status, writes the system note, marks the conversation
changed (one event at commit) and moves the queues (round-robin of the team, room freed for
the previous assignee). A person and the AI never both own a conversation: every move to
``human`` stops the AI.

Each function here first locks the conversation (db/locks.py) and decides on it as committed:
on PostgreSQL a take-over and an assignment, or the AI's reply, cannot both act on the state
from before the other. Round-robin holds the workspace's event stream, then locks the team, so
two assignments take turns, in one team or in two sharing a member (whose open conversations
both count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts import service as accounts
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.credentials import digest, new_token
from frontdesk.accounts.service import get_member
from frontdesk.agents.models import Agent
from frontdesk.conversations import routing
from frontdesk.conversations.models import PRIORITIES, Conversation, Status
from frontdesk.conversations.summary import summarize
from frontdesk.conversations.thread import (
    announce_changes,
    announce_created,
    system_note,
)
from frontdesk.db.base import utcnow
from frontdesk.db.locks import lock, lock_if_present, locked
from frontdesk.errors import Conflict, Forbidden, InvalidInput, NotFound
from frontdesk.events.store import hold
from frontdesk.metrics import HANDOFFS
from frontdesk.teams import service as teams
from frontdesk.teams.models import Team

BOT, WAITING, HUMAN, CLOSED = Status.BOT, Status.WAITING, Status.HUMAN, Status.CLOSED


class _Keep:
    """The field stays as it is."""


KEEP: Final = _Keep()


@dataclass(frozen=True)
class Note:
    event: str
    text: str
    payload: dict[str, Any] | None = None


@dataclass
class Started:
    conversation: Conversation
    visitor_token: str


def actor(caller: Caller) -> str:
    return caller.name or "an API client"


async def move(
    session: AsyncSession,
    conversation: Conversation,
    status: Status | None = None,
    *,
    note: Note | None,
    assignee: str | _Keep | None = KEEP,
    team: Team | _Keep | None = KEEP,
    changes: Sequence[str] = (),
    route: bool = True,
    reopen: bool = False,
) -> list[str]:
    """The one way a conversation's status, assignee or team changes; what changed.

    ``status`` None keeps it. A closed conversation changes only by being reopened
    (``reopen``). ``changes`` names other fields the caller set (summary). With ``route``, a
    conversation left waiting for nobody is offered to its team's round-robin; either way the
    previous assignee's teams may hand them the next one.
    """
    await lock(session, conversation)
    before, previous = conversation.status, conversation.assignee_id
    to = status or before
    if before == CLOSED and not reopen:
        raise Conflict("This conversation is closed; reopen it first.")
    changed = ["status"] if to != before else []
    changed.extend(name for name in changes if name not in changed)
    if to != before:
        conversation.status = to
        if to == WAITING:
            conversation.waiting_since = utcnow()
        if before == CLOSED:
            conversation.closed_at = None
    if to != WAITING:
        conversation.waiting_since = None
    if to != before and to in (HUMAN, BOT):
        # Someone decided who answers: a form no longer holds back a handoff.
        conversation.drop_held_handoff()
    if to == CLOSED and to != before:
        conversation.closed_at = utcnow()
        if conversation.pending_form:
            conversation.pending_form = None
            changed.append("pending_form")
    if not isinstance(assignee, _Keep) and assignee != previous:
        conversation.assignee_id = assignee
        changed.append("assignee")
    if not isinstance(team, _Keep) and (team.id if team else None) != conversation.team_id:
        conversation.team_id = team.id if team else None
        if "team" not in changed:
            changed.append("team")
    if note is not None:
        await system_note(session, conversation, note.event, note.text, note.payload)
    await announce_changes(session, conversation, changed)
    if route and to == WAITING and conversation.assignee_id is None:
        queue = await routing.team_for(session, conversation)
        if queue is not None:
            await auto_assign(session, conversation, queue)
    if (previous is not None and previous != conversation.assignee_id) or to == CLOSED:
        # Room freed: the conversation let go of waits for someone to pick it, not them.
        await fill_teams_of(session, conversation.workspace_id, previous, skip=conversation.id)
    return changed


async def start_conversation(
    session: AsyncSession,
    agent: Agent,
    page_url: str | None = None,
    *,
    referrer: str | None = None,
    user_agent: str | None = None,
    timezone: str | None = None,
) -> Started:
    token = new_token("vt")
    conversation = Conversation(
        workspace_id=agent.workspace_id,
        agent_id=agent.id,
        status=BOT,
        priority="normal",
        last_seq=0,
        visitor_token_hash=digest(token),
        page_url=page_url,
        referrer=referrer or None,
        user_agent=(user_agent or "")[:512] or None,
        timezone=timezone,
    )
    session.add(conversation)
    await announce_created(session, conversation)
    return Started(conversation, token)


async def hand_off(
    session: AsyncSession,
    conversation: Conversation,
    trigger: str,
    reason: str,
) -> bool:
    """Ask for a person; False when a person already has (or is about to have) it.

    The conversation goes to its team (see :mod:`frontdesk.conversations.routing`), gets a
    summary for whoever picks it up, and is assigned at once when the team auto-assigns."""
    await lock(session, conversation)
    if conversation.status in (WAITING, HUMAN):
        return False
    conversation.summary = await summarize(session, conversation)
    conversation.handoff_trigger = trigger
    conversation.handoff_reason = reason
    team = await _locked_team(session, conversation)
    short = reason.rstrip(".")
    note = Note(
        "handoff",
        f"Handed off: {short[:1].lower()}{short[1:]}",
        {"trigger": trigger, "reason": reason, "team_id": team.id if team else None},
    )
    # The handoff settles the team (announced even when it stays the same); a visitor asking
    # for a person in a closed conversation opens it again.
    changes = ["team", "summary"]
    await move(session, conversation, WAITING, note=note, team=team, changes=changes, reopen=True)
    HANDOFFS.labels(trigger=trigger).inc()
    return True


async def _locked_team(session: AsyncSession, conversation: Conversation) -> Team | None:
    """The team a handoff goes to, locked (after the workspace's event stream, the order of
    db/locks.py); one deleted meanwhile is passed over."""
    while (team := await routing.team_for(session, conversation)) is not None:
        if await _hold_team(session, team):
            return team
        session.expunge(team)  # deleted: ask again, without it
    return None


async def _hold_team(session: AsyncSession, team: Team) -> bool:
    """Lock a team a conversation is sent to, after the workspace's event stream (the order
    of db/locks.py), so that deleting it waits for this transaction or has been seen here:
    False when it was deleted meanwhile."""
    await hold(session, team.workspace_id)
    return await lock_if_present(session, team)


async def take_over(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    if caller.member_id is None:
        raise Forbidden("Taking over needs a signed-in member; assign a member instead.")
    await lock(session, conversation)
    _open(conversation)
    if conversation.status == HUMAN and conversation.assignee_id == caller.member_id:
        return
    note = Note("takeover", f"{actor(caller)} took over")
    await move(session, conversation, HUMAN, note=note, assignee=caller.member_id)


async def claim(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    """A public reply from the team while the AI owns the chat: the AI stops."""
    if caller.member_id:
        await take_over(session, caller, conversation)
        return
    note = Note("takeover", f"{actor(caller)} replied; the AI stopped")
    await move(session, conversation, HUMAN, note=note)


async def assign(
    session: AsyncSession, caller: Caller, conversation: Conversation, member_id: str | None
) -> None:
    await lock(session, conversation)
    _open(conversation)
    if member_id == conversation.assignee_id:
        return
    if member_id is None:
        # Unassigned, it waits for someone to pick it (not straight back to round-robin).
        status = WAITING if conversation.status == HUMAN else None
        note = Note("assigned", f"{actor(caller)} unassigned the conversation")
        await move(session, conversation, status, note=note, assignee=None, route=False)
        return
    member = await get_member(session, caller.workspace_id, member_id)
    note = Note("assigned", f"{actor(caller)} assigned {member.name}")
    await move(session, conversation, HUMAN, note=note, assignee=member.id)


async def remove_member(session: AsyncSession, caller: Caller, member_id: str) -> None:
    """Remove a member (see :func:`accounts.remove_member`); each conversation they held waits
    again in its team's queue, assigned at once when the team auto-assigns."""
    member = await get_member(session, caller.workspace_id, member_id)
    held = list(
        await session.scalars(
            select(Conversation)
            .where(
                Conversation.assignee_id == member.id,
                Conversation.status.in_((HUMAN, WAITING)),
            )
            .order_by(Conversation.created_at, Conversation.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    locked(session, held)
    name = member.name
    # Gone before routing, so round-robin cannot hand a conversation straight back.
    await accounts.remove_member(session, caller, member_id)
    for conversation in held:
        text = f"{actor(caller)} removed {name} from the workspace"
        note = Note("assigned", text, {"member_id": member.id})
        team = await routing.team_for(session, conversation)
        await move(session, conversation, WAITING, note=note, assignee=None, team=team or KEEP)


async def hand_back(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    await lock(session, conversation)
    if conversation.status == BOT:
        raise Conflict("The AI already handles this conversation.")
    conversation.failed_attempts = 0
    note = Note("handback", f"{actor(caller)} handed back to the AI")
    await move(session, conversation, BOT, note=note, assignee=None)


async def close(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    await lock(session, conversation)
    if conversation.status == CLOSED:
        raise Conflict("This conversation is already closed.")
    await move(session, conversation, CLOSED, note=Note("closed", f"Closed by {actor(caller)}"))


async def reopen(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    await lock(session, conversation)
    if conversation.status != CLOSED:
        raise Conflict("Only a closed conversation can be reopened.")
    status = HUMAN if conversation.assignee_id else WAITING
    note = Note("reopened", f"Reopened by {actor(caller)}")
    await move(session, conversation, status, note=note, reopen=True)


async def reopen_for_visitor(session: AsyncSession, conversation: Conversation) -> None:
    """The visitor wrote in a closed conversation: the AI picks it up again."""
    note = Note("reopened", "Reopened: the visitor wrote again")
    await move(session, conversation, BOT, note=note, assignee=None, reopen=True)


async def move_to_team(
    session: AsyncSession, caller: Caller, conversation: Conversation, team: Team | None
) -> None:
    """Send a conversation to another team (None: to nobody in particular)."""
    await lock(session, conversation)
    _open(conversation)
    if conversation.team_id == (team.id if team else None):
        return
    if team is not None and not await _hold_team(session, team):
        raise NotFound("That team was just deleted.")
    where = team.name if team else "no team"
    note = Note("team", f"{actor(caller)} moved the conversation to {where}")
    await move(session, conversation, note=note, team=team, route=team is not None)


async def note_rule_team(session: AsyncSession, conversation: Conversation, name: str) -> None:
    """A rule named a team: the conversation goes there when it is handed off (the first
    rule to name one wins; an unknown name is ignored, the conversation then routes by tag)."""
    await lock(session, conversation)
    if conversation.team_id is not None or not name.strip():
        return
    team = await teams.team_named(session, conversation.workspace_id, name)
    if team is not None and await _hold_team(session, team):
        await move(session, conversation, note=None, team=team, route=False)


async def set_priority(session: AsyncSession, conversation: Conversation, priority: str) -> None:
    if priority not in PRIORITIES:
        raise InvalidInput("Priority must be low, normal, high or urgent.", field="priority")
    await lock(session, conversation)
    if conversation.priority == priority:
        return
    conversation.priority = priority
    await announce_changes(session, conversation, ["priority"])


async def auto_assign(session: AsyncSession, conversation: Conversation, team: Team) -> bool:
    """Give a waiting, unassigned conversation to the team's next member, if it auto-assigns."""
    await lock(session, conversation)
    if not team.auto_assign or conversation.status != WAITING or conversation.assignee_id:
        return False
    # Who was assigned last and who has room, as the previous assignment left them: in this
    # team, and in the member's other teams (their open conversations count in every team).
    # Holding the workspace's event stream, taken before the team, makes round-robin
    # decisions of the workspace take turns.
    if not await _hold_team(session, team) or not team.auto_assign:
        return False
    member = await routing.next_assignee(session, team)
    if member is None:
        return False
    team.last_assigned_id = member.id
    note = Note(
        "assigned",
        f"Assigned to {member.name} ({team.name}, round-robin)",
        {"auto": True, "team_id": team.id, "member_id": member.id},
    )
    await move(session, conversation, HUMAN, note=note, assignee=member.id, route=False)
    return True


async def fill(session: AsyncSession, team: Team, skip: str | None = None) -> int:
    """Assign the team's waiting conversations (most urgent, then longest waiting first)
    while someone online has room; returns how many were assigned.

    A conversation another transaction holds is left to it (``SKIP LOCKED``): this one may
    have recorded events already, and waiting for a conversation then could deadlock."""
    if not team.auto_assign:
        return 0
    rows = list(
        await session.scalars(
            select(Conversation)
            .where(
                Conversation.team_id == team.id,
                Conversation.status == WAITING,
                Conversation.assignee_id.is_(None),
                Conversation.id != (skip or ""),
            )
            .order_by(Conversation.waiting_since, Conversation.id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    locked(session, rows)
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
    for team_id in sorted(await teams.teams_of(session, member_id)):
        await fill(session, await teams.get_team(session, workspace_id, team_id), skip)


def _open(conversation: Conversation) -> None:
    if conversation.status == CLOSED:
        raise Conflict("This conversation is closed; reopen it first.")
