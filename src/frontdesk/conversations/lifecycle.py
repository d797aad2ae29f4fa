"""Who owns a conversation: the AI (bot), nobody yet (waiting), a person (human), or closed.

A person and the AI never both own a conversation: every move to ``human`` stops the AI.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts import service as accounts
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.credentials import digest, new_token
from frontdesk.accounts.service import get_member
from frontdesk.agents.models import Agent
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.summary import summarize
from frontdesk.conversations.thread import announce_changes, announce_created, system_note
from frontdesk.db.base import utcnow
from frontdesk.errors import Conflict, Forbidden, InvalidInput
from frontdesk.teams import routing


@dataclass
class Started:
    conversation: Conversation
    visitor_token: str


def actor(caller: Caller) -> str:
    return caller.name or "an API client"


async def start_conversation(
    session: AsyncSession, agent: Agent, page_url: str | None = None
) -> Started:
    token = new_token("vt")
    conversation = Conversation(
        workspace_id=agent.workspace_id,
        agent_id=agent.id,
        status="bot",
        priority="normal",
        last_seq=0,
        visitor_token_hash=digest(token),
        page_url=page_url,
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

    The conversation goes to its team (see :mod:`frontdesk.teams.routing`), gets a summary
    for whoever picks it up, and is assigned at once when the team auto-assigns."""
    if conversation.status in ("waiting", "human"):
        return False
    team = await routing.team_for(session, conversation)
    conversation.team_id = team.id if team is not None else None
    conversation.summary = await summarize(session, conversation)
    conversation.status = "waiting"
    conversation.waiting_since = utcnow()
    conversation.closed_at = None
    conversation.handoff_trigger = trigger
    conversation.handoff_reason = reason
    reason = reason.rstrip(".")
    await system_note(
        session,
        conversation,
        "handoff",
        f"Handed off: {reason[:1].lower()}{reason[1:]}",
        {
            "trigger": trigger,
            "reason": conversation.handoff_reason,
            "team_id": conversation.team_id,
        },
    )
    await announce_changes(session, conversation, ["status", "team", "summary"])
    if team is not None:
        await routing.auto_assign(session, conversation, team)
    return True


async def take_over(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    if caller.member_id is None:
        raise Forbidden("Taking over needs a signed-in member; assign a member instead.")
    if conversation.status == "closed":
        raise Conflict("This conversation is closed; reopen it first.")
    if conversation.status == "human" and conversation.assignee_id == caller.member_id:
        return
    changes = ["status", "assignee"]
    previous = conversation.assignee_id
    conversation.status = "human"
    conversation.assignee_id = caller.member_id
    conversation.waiting_since = None
    conversation.drop_held_handoff()
    await system_note(session, conversation, "takeover", f"{actor(caller)} took over")
    await announce_changes(session, conversation, changes)
    if previous != caller.member_id:
        await routing.fill_teams_of(session, conversation.workspace_id, previous)


async def claim(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    """A public reply from the team while the AI owns the chat: the AI stops."""
    if caller.member_id:
        await take_over(session, caller, conversation)
        return
    conversation.status = "human"
    conversation.waiting_since = None
    conversation.drop_held_handoff()
    await system_note(session, conversation, "takeover", f"{actor(caller)} replied; the AI stopped")
    await announce_changes(session, conversation, ["status"])


async def assign(
    session: AsyncSession, caller: Caller, conversation: Conversation, member_id: str | None
) -> None:
    if conversation.status == "closed":
        raise Conflict("This conversation is closed; reopen it first.")
    if member_id == conversation.assignee_id:
        return
    previous = conversation.assignee_id
    changes = ["assignee"]
    if member_id is None:
        conversation.assignee_id = None
        text = f"{actor(caller)} unassigned the conversation"
        if conversation.status == "human":
            conversation.status = "waiting"
            conversation.waiting_since = utcnow()
            changes.append("status")
    else:
        member = await get_member(session, caller.workspace_id, member_id)
        conversation.assignee_id = member.id
        text = f"{actor(caller)} assigned {member.name}"
        if conversation.status != "human":
            conversation.status = "human"
            conversation.waiting_since = None
            conversation.drop_held_handoff()
            changes.append("status")
    await system_note(session, conversation, "assigned", text)
    await announce_changes(session, conversation, changes)
    # The released conversation itself waits for someone to pick it (not straight back).
    await routing.fill_teams_of(session, conversation.workspace_id, previous, skip=conversation.id)


async def remove_member(session: AsyncSession, caller: Caller, member_id: str) -> None:
    """Remove a member (see :func:`accounts.remove_member`); each conversation they held waits
    again in its team's queue, assigned at once when the team auto-assigns."""
    member = await get_member(session, caller.workspace_id, member_id)
    held = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.assignee_id == member.id, Conversation.status == "human")
            .order_by(Conversation.created_at, Conversation.id)
        )
    )
    name = member.name
    # Gone before routing, so round-robin cannot hand a conversation straight back.
    await accounts.remove_member(session, caller, member_id)
    for conversation in held:
        conversation.assignee_id = None
        conversation.status = "waiting"
        conversation.waiting_since = utcnow()
        changes = ["status", "assignee"]
        team = await routing.team_for(session, conversation)
        if team is not None and conversation.team_id != team.id:
            conversation.team_id = team.id
            changes.append("team")
        text = f"{actor(caller)} removed {name} from the workspace"
        await system_note(session, conversation, "assigned", text, {"member_id": member.id})
        await announce_changes(session, conversation, changes)
        if team is not None:
            await routing.auto_assign(session, conversation, team)


async def hand_back(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    if conversation.status == "bot":
        raise Conflict("The AI already handles this conversation.")
    if conversation.status == "closed":
        raise Conflict("This conversation is closed; reopen it first.")
    previous = conversation.assignee_id
    conversation.status = "bot"
    conversation.assignee_id = None
    conversation.waiting_since = None
    conversation.failed_attempts = 0
    conversation.drop_held_handoff()
    await system_note(session, conversation, "handback", f"{actor(caller)} handed back to the AI")
    await announce_changes(session, conversation, ["status", "assignee"])
    await routing.fill_teams_of(session, conversation.workspace_id, previous)


async def close(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    if conversation.status == "closed":
        raise Conflict("This conversation is already closed.")
    conversation.status = "closed"
    conversation.closed_at = utcnow()
    conversation.waiting_since = None
    changes = ["status", "pending_form"] if conversation.pending_form else ["status"]
    conversation.pending_form = None
    await system_note(session, conversation, "closed", f"Closed by {actor(caller)}")
    await announce_changes(session, conversation, changes)
    await routing.fill_teams_of(session, conversation.workspace_id, conversation.assignee_id)


async def reopen(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
    if conversation.status != "closed":
        raise Conflict("Only a closed conversation can be reopened.")
    await _reopen(session, conversation, "human" if conversation.assignee_id else "waiting")
    await system_note(session, conversation, "reopened", f"Reopened by {actor(caller)}")
    await announce_changes(session, conversation, ["status"])
    team = await routing.team_for(session, conversation)
    if team is not None:
        await routing.auto_assign(session, conversation, team)


async def reopen_for_visitor(session: AsyncSession, conversation: Conversation) -> None:
    """The visitor wrote in a closed conversation: the AI picks it up again."""
    conversation.assignee_id = None
    await _reopen(session, conversation, "bot")
    await system_note(session, conversation, "reopened", "Reopened: the visitor wrote again")
    await announce_changes(session, conversation, ["status", "assignee"])


async def _reopen(session: AsyncSession, conversation: Conversation, status: str) -> None:
    conversation.status = status
    conversation.closed_at = None
    conversation.waiting_since = utcnow() if status == "waiting" else None


async def set_priority(session: AsyncSession, conversation: Conversation, priority: str) -> None:
    if priority not in ("low", "normal", "high", "urgent"):
        raise InvalidInput("Priority must be low, normal, high or urgent.", field="priority")
    if conversation.priority == priority:
        return
    conversation.priority = priority
    await announce_changes(session, conversation, ["priority"])
