"""What a visitor may reach: an agent by its public key, one conversation by its token."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.credentials import digest
from frontdesk.agents.models import Agent
from frontdesk.conversations.models import Conversation
from frontdesk.errors import Forbidden, NotFound, Unauthorized
from frontdesk.net.origins import origin_allowed


async def agent_by_public_key(session: AsyncSession, public_key: str) -> Agent:
    agent: Agent | None = await session.scalar(select(Agent).where(Agent.public_key == public_key))
    if agent is None:
        raise NotFound("There is no agent with this public key.")
    return agent


# Every visitor request and socket asks it: built once, the token's digest bound per call.
_BY_TOKEN = (
    select(Conversation, Agent)
    .join(Agent, Agent.id == Conversation.agent_id)
    .where(Conversation.visitor_token_hash == bindparam("token_hash"))
)


async def conversation_for_token(
    session: AsyncSession, token: str | None, conversation_id: str | None = None
) -> tuple[Conversation, Agent]:
    """The one conversation a visitor token opens (404 when it is not ``conversation_id``)."""
    if not token:
        raise Unauthorized(
            "Send the visitor token in X-Visitor-Token.", code="invalid_visitor_token"
        )
    found = (await session.execute(_BY_TOKEN, {"token_hash": digest(token)})).first()
    if found is None:
        raise Unauthorized("This visitor token is not valid.", code="invalid_visitor_token")
    conversation, agent = found
    if conversation_id is not None and conversation.id != conversation_id:
        raise NotFound(f"There is no conversation '{conversation_id}'.")
    return conversation, agent


def check_origin(agent: Agent, origin: str | None, own_origin: str) -> None:
    if not origin_allowed(origin, agent.allowed_origins or [], own_origin):
        raise Forbidden(
            f"The widget of '{agent.name}' may not be used from {origin}; "
            "add this site to the agent's allowed origins.",
            code="origin_not_allowed",
        )
