"""Posting messages: the visitor's (idempotent by client id), the team's, and the AI's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.caller import Caller
from frontdesk.actions.config import FormAction
from frontdesk.agents.models import Agent
from frontdesk.agents.settings import agent_actions
from frontdesk.answering.replies import RULES
from frontdesk.answering.schemas import AnswerOut
from frontdesk.conversations import lifecycle, routing
from frontdesk.conversations.forms import find_form, offer_form, release_handoff
from frontdesk.conversations.models import AnswerRecord, Conversation, Message
from frontdesk.conversations.repository import message_by_client_id
from frontdesk.conversations.tagging import add_rule_tags
from frontdesk.conversations.thread import add_message, system_note
from frontdesk.conversations.waiting import acknowledge_wait
from frontdesk.db.base import utcnow
from frontdesk.db.locks import lock
from frontdesk.errors import Conflict, InvalidInput
from frontdesk.rules.config import RulesConfig
from frontdesk.rules.hours import BusinessHours

BUTTON_REASON = "visitor asked for a person"
TEAM_AWAY = (
    "Our {team} team isn't online right now. Your message is saved and they will get back to "
    "you as soon as they can."
)


@dataclass
class Posted:
    message: Message
    duplicate: bool
    needs_reply: bool


def check_text(text: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("The message is empty.", field="text")
    if len(text) > limit:
        raise InvalidInput(
            f"The message is {len(text):,} characters long; the limit is {limit:,}.",
            field="text",
        )
    return text


async def post_visitor_message(
    session: AsyncSession,
    conversation: Conversation,
    text: str,
    client_id: str | None,
    limit: int,
    admit: Callable[[], None] | None = None,
) -> Posted:
    """Store a visitor's message; a retry with a stored ``client_id`` returns that one.

    ``admit`` is called once the message is known to be new, before it is stored: a rate
    limit raises there, so retries of a stored message are never refused.
    """
    text = check_text(text, limit)
    await lock(session, conversation)  # a retry sent meanwhile is seen, not stored twice
    if client_id:
        existing = await message_by_client_id(session, conversation.id, client_id)
        if existing is not None:
            return Posted(existing, duplicate=True, needs_reply=False)
    if admit is not None:
        admit()
    if conversation.status == "closed":
        await lifecycle.reopen_for_visitor(session, conversation)
    message = await add_message(session, conversation, "visitor", text, client_id=client_id)
    await release_handoff(session, conversation)
    await acknowledge_wait(session, conversation)
    return Posted(message, duplicate=False, needs_reply=conversation.status == "bot")


async def post_member_message(
    session: AsyncSession,
    caller: Caller,
    conversation: Conversation,
    text: str,
    private: bool,
    limit: int,
) -> Message:
    text = check_text(text, limit)
    await lock(session, conversation)
    if not private:
        if conversation.status == "closed":
            raise Conflict("This conversation is closed; reopen it to reply.")
        if conversation.status in ("bot", "waiting"):
            # Replying takes the conversation: the AI must not answer over a person.
            await lifecycle.claim(session, caller, conversation)
    return await add_message(
        session,
        conversation,
        "member",
        text,
        author_id=caller.member_id,
        author_name=caller.name or "Team",
        private=private,
    )


async def post_ai_answer(
    session: AsyncSession, agent: Agent, conversation: Conversation, answer: AnswerOut
) -> Message | None:
    """Store the AI's reply, unless a person took the conversation while it was thinking."""
    # Locked: a take-over committing meanwhile is waited for and seen, never written over.
    await lock(session, conversation)
    if conversation.status != "bot":
        return None
    message = await add_message(
        session,
        conversation,
        "ai",
        answer.answer,
        author_name=agent.name,
        citations=[c.model_dump(mode="json") for c in answer.citations],
        confidence=None if answer.generator == RULES else answer.confidence,
        payload=answer_record(answer).model_dump(mode="json"),
    )
    conversation.failed_attempts = 0 if answer.answered else conversation.failed_attempts + 1
    handoff = answer.handoff
    if handoff.tags:
        await add_rule_tags(session, conversation, handoff.tags)
    if handoff.priority:
        await lifecycle.set_priority(session, conversation, handoff.priority)
    if handoff.team:
        await lifecycle.note_rule_team(session, conversation, handoff.team)
    if handoff.triggered:
        await escalate(
            session,
            agent,
            conversation,
            handoff.trigger or "low_confidence",
            handoff.reason or "the AI could not answer",
            handoff.collect,
        )
    elif answer.form:
        await _offer_form(session, agent, conversation, answer.form)
    return message


async def _offer_form(
    session: AsyncSession, agent: Agent, conversation: Conversation, name: str
) -> None:
    """The form the model offered, unless details were given or a form waits meanwhile."""
    form = agent_actions(agent).get(name)
    if isinstance(form, FormAction) and not conversation.lead and not conversation.pending_form:
        await offer_form(session, agent, conversation, form, None)


def answer_record(answer: AnswerOut) -> AnswerRecord:
    return AnswerRecord(
        answered=answer.answered,
        gap=answer.gap,
        tokens=answer.tokens,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        generator=answer.generator,
        model=answer.model,
        threshold=answer.threshold,
        handoff_trigger=answer.handoff.trigger if answer.handoff.triggered else None,
    )


async def escalate(
    session: AsyncSession,
    agent: Agent,
    conversation: Conversation,
    trigger: str,
    reason: str,
    collect: str | None,
) -> None:
    """Hand off. A rule's own form (``collect``) is filled in first, unless the conversation
    is urgent; the agent's general form (``rules.collect``) and the closed-hours form are shown
    next to a handoff that happens at once, so the team always hears of it.

    Outside business hours, or when nobody of the team the conversation goes to is online,
    the visitor is told so at once and asked for their details (the closed-hours form)."""
    hours = BusinessHours.model_validate(agent.business_hours) if agent.business_hours else None
    is_open = hours is None or hours.is_open(utcnow())
    team = await routing.team_for(session, conversation)
    nobody_online = team is not None and not await routing.online_members(session, team)
    closed = not is_open or nobody_online
    hold = collect is not None and not closed and conversation.priority != "urgent"
    name = collect or RulesConfig.model_validate(agent.rules or {}).collect
    if closed and hours is not None:
        name = name or hours.collect
    # Details already given in this conversation are not asked for again.
    form = find_form(agent, name) if name and not conversation.lead else None
    if form is not None and hold:
        await offer_form(session, agent, conversation, form, {"trigger": trigger, "reason": reason})
        return
    handed = await lifecycle.hand_off(session, conversation, trigger, reason)
    if handed and closed:
        if not is_open and hours is not None:
            text, note = hours.closed_message, ("closed_hours", "Outside business hours")
        else:
            assert team is not None
            text = TEAM_AWAY.format(team=team.name)
            note = ("team_offline", f"Nobody in {team.name} is online")
        await add_message(session, conversation, "ai", text, author_name=agent.name)
        await system_note(session, conversation, *note)
    if handed and form is not None:
        await offer_form(session, agent, conversation, form, None)


async def request_person(session: AsyncSession, agent: Agent, conversation: Conversation) -> None:
    """The visitor pressed "Talk to a person"."""
    await lock(session, conversation)
    if conversation.status in ("waiting", "human"):
        return
    pending = conversation.pending_form
    if pending and pending.get("handoff"):
        await release_handoff(session, conversation)
        return
    await add_message(session, conversation, "ai", agent.handoff_message, author_name=agent.name)
    await escalate(session, agent, conversation, "button", BUTTON_REASON, None)
