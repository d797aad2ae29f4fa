"""Forms in a conversation: offer one, take the visitor's answers as the lead card, or skip.

A handoff that collects a form waits for it: the conversation moves to ``waiting`` when the
visitor submits or skips the form, or writes a message instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.actions.config import FormAction
from frontdesk.actions.forms import clean_submission, shown
from frontdesk.actions.models import ActionRun
from frontdesk.agents.models import Agent
from frontdesk.agents.settings import agent_actions
from frontdesk.conversations import lifecycle
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.thread import (
    add_message,
    announce_action,
    announce_changes,
    system_note,
)
from frontdesk.db.locks import lock
from frontdesk.errors import Conflict, NotFound


@dataclass(frozen=True)
class Submitted:
    lead: dict[str, Any]
    runs: list[str]  # ids of the follow-up HTTP action runs to start after the commit


def find_form(agent: Agent, name: str) -> FormAction:
    action = agent_actions(agent).get(name)
    if not isinstance(action, FormAction):
        raise NotFound(f"This agent has no form named {name!r}.")
    return action


def form_view(form: FormAction) -> dict[str, Any]:
    """What the widget needs to draw the form."""
    return {
        "name": form.name,
        "title": form.title,
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "label": f.title,
                "required": f.required,
                "options": f.options,
                "placeholder": f.placeholder,
            }
            for f in form.fields
        ],
    }


async def offer_form(
    session: AsyncSession,
    agent: Agent,
    conversation: Conversation,
    form: FormAction,
    handoff: dict[str, str] | None,
) -> None:
    """Show the form in the thread; ``handoff`` (trigger, reason) waits for the answer."""
    message = await add_message(
        session,
        conversation,
        "ai",
        form.title,
        author_name=agent.name,
        event="form",
        payload={"form": form_view(form)},
    )
    conversation.pending_form = {"action": form.name, "seq": message.seq, "handoff": handoff}
    await announce_changes(session, conversation, ["pending_form"])


async def submit_form(
    session: AsyncSession,
    agent: Agent,
    conversation: Conversation,
    name: str,
    values: dict[str, Any],
    now: datetime,
) -> Submitted:
    """Validate the answers (InvalidFields per field), store them as the lead card."""
    form = find_form(agent, name)
    await lock(session, conversation)
    if conversation.status == "closed":
        raise Conflict("This conversation is closed.")
    pending = conversation.pending_form
    offered = pending is not None and pending.get("action") == name
    updating = (conversation.lead or {}).get("action") == name
    if not offered and not updating:
        raise Conflict(f"The {name!r} form was not offered in this conversation.")
    timezone = (agent.business_hours or {}).get("timezone")
    values = clean_submission(form, values, now, timezone)
    fields = [
        {"name": f.name, "label": f.title, "type": f.type, "value": values[f.name]}
        for f in form.fields
        if f.name in values
    ]
    lead = {"action": name, "title": form.title, "fields": fields, "submitted_at": now.isoformat()}
    conversation.lead = lead
    conversation.pending_form = None
    summary = "\n".join(f"{f['label']}: {shown(f['type'], f['value'])}" for f in fields)
    await add_message(
        session,
        conversation,
        "visitor",
        summary,
        event="form_submitted",
        payload={"form": name, "values": values},
    )
    session.add(
        ActionRun(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            action=name,
            kind="form",
            status="submitted",
            attempts=1,
            result=values,
            finished_at=now,
        )
    )
    # Correcting a lead later does not send it out again (no duplicate tickets).
    runs = [
        ActionRun(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            action=then,
            kind="http",
            status="running",
        )
        for then in (form.then if offered else [])
    ]
    session.add_all(runs)
    await session.flush()  # the runs' ids, for the runner
    handoff = pending.get("handoff") if offered and pending else None
    if handoff:
        await lifecycle.hand_off(session, conversation, handoff["trigger"], handoff["reason"])
    await announce_changes(session, conversation, ["lead"])
    await announce_action(session, conversation, {"name": name, "kind": "form", "values": values})
    return Submitted(lead, [run.id for run in runs])


async def skip_form(
    session: AsyncSession, agent: Agent, conversation: Conversation, name: str
) -> None:
    await lock(session, conversation)
    pending = conversation.pending_form
    if pending is None or pending.get("action") != name:
        raise Conflict(f"The {name!r} form is not waiting for an answer.")
    conversation.pending_form = None
    session.add(
        ActionRun(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            action=name,
            kind="form",
            status="skipped",
        )
    )
    await system_note(session, conversation, "form_skipped", f"The visitor skipped the {name} form")
    handoff = pending.get("handoff")
    if handoff:
        await lifecycle.hand_off(session, conversation, handoff["trigger"], handoff["reason"])
    await announce_changes(session, conversation, ["pending_form"])


async def release_handoff(session: AsyncSession, conversation: Conversation) -> None:
    """The visitor wrote instead of filling in the form: the team takes it from here."""
    await lock(session, conversation)
    pending = conversation.pending_form
    if not pending or not pending.get("handoff"):
        return
    handoff = pending["handoff"]
    conversation.pending_form = {**pending, "handoff": None}
    await lifecycle.hand_off(session, conversation, handoff["trigger"], handoff["reason"])
