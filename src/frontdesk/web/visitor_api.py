"""The public widget API: config, start a conversation, send, catch up, ask for a person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import Agent
from frontdesk.conversations import feedback, forms, lifecycle, repository
from frontdesk.conversations.messages import post_visitor_message, request_person
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.schemas import (
    CsatIn,
    CsatOut,
    FeedbackIn,
    FeedbackOut,
    FormAnswers,
    FormResult,
    LeadOut,
    NewConversationIn,
    NewConversationOut,
    StatusOut,
    VisitorMessageIn,
    VisitorMessageOut,
    VisitorMessages,
    WidgetConfig,
)
from frontdesk.conversations.visitor_view import for_visitor
from frontdesk.db.base import utcnow
from frontdesk.db.locks import locked
from frontdesk.errors import NotFound
from frontdesk.runtime import Runtime
from frontdesk.visitors.service import agent_by_public_key, check_origin, conversation_for_token
from frontdesk.web.clientip import client_ip
from frontdesk.web.cors import own_origin
from frontdesk.web.deps import RuntimeDep
from frontdesk.web.openapi import problems
from frontdesk.web.ratelimit import RateLimiter

# Visitors hold a token (401), call from allowed sites only (403) and are rate limited (429).
router = APIRouter(prefix="/api/v1/widget", tags=["widget"], responses=problems(401, 403, 429))

TokenHeader = Annotated[str | None, Header(alias="X-Visitor-Token")]


async def _visitor(
    session: AsyncSession, request: Request, token: str | None, conversation_id: str
) -> tuple[Conversation, Agent]:
    """The conversation this visitor token opens, asked for from an allowed site."""
    conversation, agent = await conversation_for_token(session, token, conversation_id)
    check_origin(agent, request.headers.get("origin"), own_origin(request))
    return conversation, agent


async def _admit(
    runtime: Runtime, request: Request, token: str | None, conversation_id: str
) -> Conversation:
    """The visitor's conversation, checked (token, origin) before any write lock is taken."""
    async with runtime.reads(lookups=True) as session:
        conversation, _ = await _visitor(session, request, token, conversation_id)
    return conversation


_RELOAD = (
    select(Conversation, Agent)
    .join(Agent, Agent.id == Conversation.agent_id)
    .where(Conversation.id == bindparam("conversation_id"))
    .with_for_update(of=Conversation)
)


async def _reload(session: AsyncSession, admitted: Conversation) -> tuple[Conversation, Agent]:
    """The admitted conversation (locked, see db/locks.py) and its agent as they are now,
    inside the write (one query, built once)."""
    row = (await session.execute(_RELOAD, {"conversation_id": admitted.id})).one_or_none()
    if row is None:  # deleted with its agent between the check and the write
        raise NotFound(f"There is no conversation '{admitted.id}'.")
    locked(session, [row[0]])
    return row[0], row[1]


def _limiter(request: Request, name: str) -> RateLimiter:
    limiter: RateLimiter = getattr(request.app.state, name)
    return limiter


@router.get("/{public_key}/config")
async def config(public_key: str, request: Request, runtime: RuntimeDep) -> WidgetConfig:
    """What the widget shows before the first message: name, greeting, colour, side."""
    async with runtime.reads(lookups=True) as session:
        agent = await agent_by_public_key(session, public_key)
    check_origin(agent, request.headers.get("origin"), own_origin(request))
    return WidgetConfig(
        agent_name=agent.name,
        greeting=agent.greeting,
        theme_color=agent.theme_color,
        position=agent.position,
    )


@router.post("/{public_key}/conversations", status_code=201)
async def start(
    public_key: str, request: Request, runtime: RuntimeDep, body: NewConversationIn | None = None
) -> NewConversationOut:
    """Open a conversation; the visitor token returned opens exactly this one."""
    await _limiter(request, "start_limiter").hit(client_ip(request))
    async with runtime.reads(lookups=True) as session:
        agent = await agent_by_public_key(session, public_key)
    check_origin(agent, request.headers.get("origin"), own_origin(request))
    async with runtime.changes() as session:
        agent = await agent_by_public_key(session, public_key)
        body = body or NewConversationIn()
        started = await lifecycle.start_conversation(
            session,
            agent,
            body.page_url,
            referrer=body.referrer,
            user_agent=request.headers.get("user-agent"),
            timezone=body.timezone,
        )
    return NewConversationOut(id=started.conversation.id, visitor_token=started.visitor_token)


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=201,
    responses={200: {"description": "Already stored (same client_id): the stored message."}},
)
async def send(
    conversation_id: str,
    body: VisitorMessageIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    token: TokenHeader = None,
) -> VisitorMessageOut:
    """Store the message durably, then answer it if the AI owns the conversation."""
    async with runtime.reads(lookups=True) as session:
        conversation, _ = await _visitor(session, request, token, conversation_id)
        stored = body.client_id and await repository.message_by_client_id(
            session, conversation.id, body.client_id
        )
    if stored:
        # A retry of a stored message: answered as it was, never refused, nothing written.
        response.status_code = 200
        seen = for_visitor(stored)
        assert seen is not None  # a visitor's own message
        return seen
    await _limiter(request, "visitor_limiter").hit(conversation.id)
    async with runtime.changes() as session:
        conversation, _ = await _reload(session, conversation)
        # Two retries racing past the check above: the second finds the first stored here.
        posted = await post_visitor_message(
            session, conversation, body.text, body.client_id, runtime.settings.max_message_chars
        )
    if posted.duplicate:
        response.status_code = 200
    if posted.needs_reply:
        runtime.responder.schedule(conversation.id, posted.message.seq)
    seen = for_visitor(posted.message)
    assert seen is not None  # a visitor's own message
    return seen


@router.get("/conversations/{conversation_id}/messages")
async def history(
    conversation_id: str,
    request: Request,
    runtime: RuntimeDep,
    after: Annotated[int, Query(ge=0, description="Only messages with a higher seq.")] = 0,
    token: TokenHeader = None,
) -> VisitorMessages:
    """Messages the visitor may see (no internal notes, no system events)."""
    async with runtime.reads() as session:
        conversation, _ = await _visitor(session, request, token, conversation_id)
        messages = await repository.messages_after(
            session, conversation.id, after, visitor_view=True
        )
    return VisitorMessages(
        status=conversation.status,
        messages=[seen for m in messages if (seen := for_visitor(m)) is not None],
        pending_form=conversation.pending_form["action"] if conversation.pending_form else None,
        csat_score=conversation.csat_score,
    )


@router.post("/conversations/{conversation_id}/handoff")
async def handoff(
    conversation_id: str, request: Request, runtime: RuntimeDep, token: TokenHeader = None
) -> StatusOut:
    """The "Talk to a person" button: the conversation waits for the team."""
    admitted = await _admit(runtime, request, token, conversation_id)
    async with runtime.changes() as session:
        conversation, agent = await _reload(session, admitted)
        await request_person(session, agent, conversation)
        status = conversation.status
    return StatusOut(status=status)


@router.post("/conversations/{conversation_id}/forms/{action}")
async def submit_form(
    conversation_id: str,
    action: str,
    body: FormAnswers,
    request: Request,
    runtime: RuntimeDep,
    token: TokenHeader = None,
) -> FormResult:
    """Answer an offered form; 422 lists each field that needs fixing (then send again)."""
    admitted = await _admit(runtime, request, token, conversation_id)
    await _limiter(request, "visitor_limiter").hit(admitted.id)
    async with runtime.changes() as session:
        conversation, agent = await _reload(session, admitted)
        submitted = await forms.submit_form(
            session, agent, conversation, action, body.values, utcnow()
        )
        status = conversation.status
    await runtime.actions.enqueue(submitted.runs)
    return FormResult(status=status, lead=LeadOut.model_validate(submitted.lead))


@router.post("/conversations/{conversation_id}/forms/{action}/skip")
async def skip_form(
    conversation_id: str,
    action: str,
    request: Request,
    runtime: RuntimeDep,
    token: TokenHeader = None,
) -> StatusOut:
    """The visitor would rather not fill in the form; the handoff goes ahead."""
    admitted = await _admit(runtime, request, token, conversation_id)
    async with runtime.changes() as session:
        conversation, agent = await _reload(session, admitted)
        await forms.skip_form(session, agent, conversation, action)
        status = conversation.status
    return StatusOut(status=status)


@router.post("/conversations/{conversation_id}/messages/{seq}/feedback")
async def rate_message(
    conversation_id: str,
    seq: int,
    body: FeedbackIn,
    request: Request,
    runtime: RuntimeDep,
    token: TokenHeader = None,
) -> FeedbackOut:
    """Thumbs up or down on an AI answer; a new rating replaces the old, null clears it."""
    admitted = await _admit(runtime, request, token, conversation_id)
    await _limiter(request, "feedback_limiter").hit(admitted.id)
    async with runtime.changes() as session:
        conversation, _ = await _reload(session, admitted)
        message = await feedback.do_rate_message(session, conversation, seq, body.rating)
        out = FeedbackOut(seq=message.seq, feedback=message.feedback)
    return out


@router.post("/conversations/{conversation_id}/csat")
async def rate_conversation(
    conversation_id: str,
    body: CsatIn,
    request: Request,
    runtime: RuntimeDep,
    token: TokenHeader = None,
) -> CsatOut:
    """How did we do? 1–5 once the conversation is closed (409 before); resending replaces."""
    admitted = await _admit(runtime, request, token, conversation_id)
    await _limiter(request, "feedback_limiter").hit(admitted.id)
    async with runtime.changes() as session:
        conversation, _ = await _reload(session, admitted)
        await feedback.do_rate_conversation(session, conversation, body.score, body.comment)
        [view] = await repository.describe(session, [conversation])
    assert view.csat is not None
    return view.csat
