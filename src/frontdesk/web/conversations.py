"""The team's conversation API: list, read, reply, take over, assign, hand back, close."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.caller import Caller
from frontdesk.conversations import lifecycle, repository, search
from frontdesk.conversations.messages import post_member_message
from frontdesk.conversations.models import OPEN_STATUSES, Conversation
from frontdesk.conversations.schemas import (
    ActionRunOut,
    AssignIn,
    ConversationDetail,
    ConversationList,
    ConversationOut,
    MemberMessageIn,
    MessageOut,
    PriorityIn,
    PriorityName,
    ReadIn,
    SearchHitOut,
    SearchResultOut,
    SearchResults,
)
from frontdesk.teams.service import get_team, teams_of
from frontdesk.web.deps import CallerDep, RuntimeDep

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

StatusFilter = Literal["open", "bot", "waiting", "human", "closed", "all"]
Action = Callable[[AsyncSession, Caller, Conversation], Awaitable[None]]


async def _view(
    session: AsyncSession, caller: Caller, conversation: Conversation
) -> ConversationOut:
    [view] = await repository.describe(session, [conversation], caller.member_id)
    return view


@router.get("")
async def list_conversations(
    caller: CallerDep,
    runtime: RuntimeDep,
    status: Annotated[StatusFilter, Query(description="open = bot, waiting and human")] = "open",
    agent_id: str | None = None,
    assignee: Annotated[str | None, Query(description="me, none or a member id")] = None,
    priority: PriorityName | None = None,
    tag: Annotated[
        list[str] | None,
        Query(description="Only conversations with this tag; repeated: with all of them"),
    ] = None,
    team: Annotated[
        list[str] | None,
        Query(description="Only conversations routed to this team id; 'mine': to my teams"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ConversationList:
    """Sorted by priority (urgent first), then longest waiting, then latest activity."""
    statuses = {
        "open": OPEN_STATUSES,
        "all": (*OPEN_STATUSES, "closed"),
    }.get(status, (status,))
    if assignee == "me":
        assignee = caller.member_id or "none"
    tags = [t.strip().lower() for t in tag or []]
    async with runtime.reads() as session:
        teams = await _teams_filter(session, caller, team)
        filters = repository.Filters(statuses, agent_id, assignee, priority, tags, limit, teams)
        rows = await repository.list_conversations(session, caller.workspace_id, filters)
        views = await repository.describe(session, rows, caller.member_id)
    return ConversationList(conversations=views)


async def _teams_filter(
    session: AsyncSession, caller: Caller, wanted: list[str] | None
) -> list[str] | None:
    if not wanted:
        return None
    ids: set[str] = set()
    for value in wanted:
        if value == "mine":
            ids.update(await teams_of(session, caller.member_id) if caller.member_id else ())
        else:
            ids.add((await get_team(session, caller.workspace_id, value)).id)
    return sorted(ids)


@router.get("/search")
async def search_conversations(
    caller: CallerDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(description="Words or a number; each of 3+ characters must occur.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> SearchResults:
    """Conversations whose visitor or team messages (notes included) or lead card contain
    every term, latest activity first; each hit says where the terms matched."""
    async with runtime.reads() as session:
        found, conversations = await search.search(session, caller.workspace_id, q, limit)
        views = await repository.describe(
            session, [conversations[f.conversation_id] for f in found], caller.member_id
        )
    return SearchResults(
        results=[
            SearchResultOut(
                conversation=view,
                hits=[SearchHitOut.model_validate(hit, from_attributes=True) for hit in f.hits],
            )
            for f, view in zip(found, views, strict=True)
        ]
    )


@router.get("/{conversation_id}")
async def get_conversation(
    conversation_id: str, caller: CallerDep, runtime: RuntimeDep
) -> ConversationDetail:
    """The conversation with its whole history, private notes and system events included."""
    async with runtime.reads() as session:
        conversation = await repository.get_conversation(
            session, caller.workspace_id, conversation_id
        )
        messages = await repository.messages_after(session, conversation.id, 0, limit=100_000)
        view = await _view(session, caller, conversation)
        runs = await repository.action_runs(session, conversation.id)
    return ConversationDetail(
        conversation=view,
        messages=[repository.message_out(m) for m in messages],
        actions=[ActionRunOut.model_validate(run) for run in runs],
    )


@router.get("/{conversation_id}/related")
async def related_conversations(
    conversation_id: str, caller: CallerDep, runtime: RuntimeDep
) -> ConversationList:
    """The visitor's other conversations: those whose lead card gave the same email or
    phone number (a visitor token opens one conversation only), newest first."""
    async with runtime.reads() as session:
        conversation = await repository.get_conversation(
            session, caller.workspace_id, conversation_id
        )
        rows = await search.same_visitor(session, conversation)
        views = await repository.describe(session, rows, caller.member_id)
    return ConversationList(conversations=views)


@router.post("/{conversation_id}/messages", status_code=201)
async def post_message(
    conversation_id: str, body: MemberMessageIn, caller: CallerDep, runtime: RuntimeDep
) -> MessageOut:
    """Reply to the visitor, or leave an internal note with ``private: true``."""
    async with runtime.changes() as session:
        conversation = await repository.get_conversation(
            session, caller.workspace_id, conversation_id
        )
        message = await post_member_message(
            session,
            caller,
            conversation,
            body.text,
            body.private,
            runtime.settings.max_message_chars,
        )
    return repository.message_out(message)


async def _act(
    runtime: RuntimeDep, caller: Caller, conversation_id: str, action: Action
) -> ConversationOut:
    async with runtime.changes() as session:
        conversation = await repository.get_conversation(
            session, caller.workspace_id, conversation_id
        )
        await action(session, caller, conversation)
        return await _view(session, caller, conversation)


@router.post("/{conversation_id}/takeover")
async def take_over(
    conversation_id: str, caller: CallerDep, runtime: RuntimeDep
) -> ConversationOut:
    """Assign yourself and stop the AI (status ``human``)."""
    return await _act(runtime, caller, conversation_id, lifecycle.take_over)


@router.post("/{conversation_id}/assign")
async def assign(
    conversation_id: str, body: AssignIn, caller: CallerDep, runtime: RuntimeDep
) -> ConversationOut:
    """Assign a teammate (the AI stops) or, with ``member_id: null``, nobody."""

    async def action(session: AsyncSession, caller: Caller, conversation: Conversation) -> None:
        await lifecycle.assign(session, caller, conversation, body.member_id)

    return await _act(runtime, caller, conversation_id, action)


@router.post("/{conversation_id}/handback")
async def hand_back(
    conversation_id: str, caller: CallerDep, runtime: RuntimeDep
) -> ConversationOut:
    """Give the conversation back to the AI."""
    return await _act(runtime, caller, conversation_id, lifecycle.hand_back)


@router.post("/{conversation_id}/close")
async def close(conversation_id: str, caller: CallerDep, runtime: RuntimeDep) -> ConversationOut:
    return await _act(runtime, caller, conversation_id, lifecycle.close)


@router.post("/{conversation_id}/reopen")
async def reopen(conversation_id: str, caller: CallerDep, runtime: RuntimeDep) -> ConversationOut:
    return await _act(runtime, caller, conversation_id, lifecycle.reopen)


@router.post("/{conversation_id}/priority")
async def set_priority(
    conversation_id: str, body: PriorityIn, caller: CallerDep, runtime: RuntimeDep
) -> ConversationOut:
    async def action(session: AsyncSession, _: Caller, conversation: Conversation) -> None:
        await lifecycle.set_priority(session, conversation, body.priority)

    return await _act(runtime, caller, conversation_id, action)


@router.post("/{conversation_id}/read", status_code=204)
async def mark_read(
    conversation_id: str, body: ReadIn, caller: CallerDep, runtime: RuntimeDep
) -> Response:
    """Record how far you have read (clears your unread count up to ``seq``)."""
    if caller.member_id is None:  # an API key reads nothing, but only its own workspace's
        async with runtime.reads() as session:
            await repository.get_conversation(session, caller.workspace_id, conversation_id)
        return Response(status_code=204)
    async with runtime.changes() as session:
        conversation = await repository.get_conversation(
            session, caller.workspace_id, conversation_id
        )
        await repository.mark_read(session, caller.member_id, conversation, body.seq)
    return Response(status_code=204)
