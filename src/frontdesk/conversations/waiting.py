"""A visitor waiting for a person is never left in silence.

Their first message while waiting is acknowledged; when nobody has replied within the agent's
``handoff_wait_s``, they are offered the offline form (``rules.collect``, else the business
hours' form). Each happens at most once per wait: a wait starts when the conversation moves to
``waiting`` (``waiting_since``), and each step is an AI message with its own ``event`` written
after that time. When the form is due is computed from those stored times only, so neither a
page reload nor a server restart loses a wait (see :mod:`frontdesk.conversations.wait_watch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Exists, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.actions.config import FormAction
from frontdesk.agents.models import Agent
from frontdesk.agents.settings import agent_actions
from frontdesk.conversations.forms import offer_form
from frontdesk.conversations.models import Conversation, Message, Status
from frontdesk.conversations.thread import add_message
from frontdesk.rules.config import RulesConfig

ACKNOWLEDGED = "wait_ack"
TIMED_OUT = "wait_timeout"
WAIT_ACK = "A teammate will reply here; you can keep writing."
SORRY = "Sorry for the wait: nobody from our team has been able to reply yet."
LEAVE_DETAILS = f"{SORRY} You can keep writing here, or leave your details below."
WILL_REPLY = f"{SORRY} Your messages are saved and we will get back to you as soon as we can."


@dataclass(frozen=True)
class Wait:
    """A conversation waiting for a person, and when its offline form is due."""

    conversation_id: str
    due_at: datetime


def _since_wait_began(event: str) -> Exists:
    """Whether the conversation has a message of ``event`` from its current wait."""
    return exists().where(
        Message.conversation_id == Conversation.id,
        Message.event == event,
        Message.created_at >= Conversation.waiting_since,
    )


async def _done_in_this_wait(session: AsyncSession, conversation: Conversation, event: str) -> bool:
    query = select(_since_wait_began(event)).where(Conversation.id == conversation.id)
    return bool(await session.scalar(query))


async def acknowledge_wait(session: AsyncSession, conversation: Conversation) -> Message | None:
    """The visitor wrote while waiting: tell them once per wait that a person will reply."""
    if conversation.status != Status.WAITING or conversation.waiting_since is None:
        return None
    if await _done_in_this_wait(session, conversation, ACKNOWLEDGED):
        return None
    agent = await session.get(Agent, conversation.agent_id)
    name = agent.name if agent is not None else None
    return await add_message(
        session, conversation, "ai", WAIT_ACK, author_name=name, event=ACKNOWLEDGED
    )


async def pending_waits(session: AsyncSession) -> list[Wait]:
    """Every wait whose offline form has not been offered yet, with when it is due."""
    rows = await session.execute(
        select(Conversation.id, Conversation.waiting_since, Agent.handoff_wait_s)
        .join(Agent, Agent.id == Conversation.agent_id)
        .where(
            Conversation.status == Status.WAITING,
            Conversation.waiting_since.is_not(None),
            ~_since_wait_began(TIMED_OUT),
        )
    )
    return [
        Wait(cid, since + timedelta(seconds=wait_s))
        for cid, since, wait_s in rows
        if since is not None
    ]


def offline_form(agent: Agent) -> FormAction | None:
    """The form a visitor nobody could help is offered: the rules' form, else the hours' one."""
    name = RulesConfig.model_validate(agent.rules or {}).collect
    name = name or (agent.business_hours or {}).get("collect")
    form = agent_actions(agent).get(name) if name else None
    return form if isinstance(form, FormAction) else None


async def offer_offline(
    session: AsyncSession, agent: Agent, conversation: Conversation, now: datetime
) -> bool:
    """Nobody replied in time: say so and offer the offline form; False if not due (any more)."""
    since = conversation.waiting_since
    if conversation.status != Status.WAITING or since is None:
        return False
    if now < since + timedelta(seconds=agent.handoff_wait_s):
        return False
    if await _done_in_this_wait(session, conversation, TIMED_OUT):
        return False
    # Details already given are not asked for again.
    form = offline_form(agent) if not conversation.lead else None
    text = LEAVE_DETAILS if form is not None else WILL_REPLY
    await add_message(session, conversation, "ai", text, author_name=agent.name, event=TIMED_OUT)
    if form is not None:
        await offer_form(session, agent, conversation, form, None)
    return True
