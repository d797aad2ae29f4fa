"""The agent's tools as its model calls them in a conversation: each call run and recorded.

A call is checked against the tool's declaration (actions/tools.py), then run as the HTTP
action runs for a form (actions/http.py: the egress check, the workspace's secrets, the
action's timeout and retries), or, for a form, kept for the reply to offer. Every call,
refused ones included, is recorded for the team as it ends, in its own transaction so the
inbox sees it while the model still writes: an action run of kind ``tool`` (the arguments,
the request without secrets, status, duration) and a note in the thread. The model reads
back what the action keeps of the response (its ``result_fields``), or why there is none.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from frontdesk.accounts.models import Workspace
from frontdesk.actions.config import FormAction, HttpAction
from frontdesk.actions.http import Outcome, run_http_action
from frontdesk.actions.models import ActionRun
from frontdesk.actions.templates import secret_names
from frontdesk.agents.models import Agent
from frontdesk.agents.settings import agent_actions
from frontdesk.answering.generators.tools import ToolCall, ToolResult
from frontdesk.conversations.actions import ActionRunner, short
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.thread import announce_changes, system_note
from frontdesk.db.base import utcnow
from frontdesk.events.store import changes
from frontdesk.vault.redact import scrub, scrub_json
from frontdesk.vault.service import resolve

log = logging.getLogger(__name__)

FORM_SHOWN = "The form is shown to the visitor right after your reply; say so in one sentence."


class ConversationTools:
    """Runs the tools the agent's model calls while it answers in one conversation."""

    def __init__(self, actions: ActionRunner, agent: Agent, conversation_id: str):
        self.actions = actions
        self.agent = agent
        self.conversation_id = conversation_id

    async def __call__(self, call: ToolCall) -> ToolResult:
        started = utcnow()
        action = agent_actions(self.agent).get(call.name)
        arguments: Any = call.arguments
        secrets: dict[str, str] = {}
        result: ToolResult | None = None
        try:
            if isinstance(arguments, str):
                arguments = _parsed(arguments)
            if action is None or action.tool is None:
                outcome = _refused(f"the agent has no tool named {call.name[:64]!r}")
            elif isinstance(action, FormAction):
                outcome, result = await self._offer(action, arguments)
            else:
                values = action.tool.parameters.check(arguments)
                outcome, secrets = await self._run(action, values)
        except ValueError as exc:  # arguments that are not JSON, or not what the tool takes
            outcome = _refused(f"the arguments do not fit: {exc}")
        except Exception as exc:
            log.exception("tool %s could not run", call.name[:64])
            outcome = _refused(scrub(f"it could not run ({type(exc).__name__}: {exc})", secrets))
        if not isinstance(arguments, dict):
            arguments = {"raw": str(arguments)[:500]}
        arguments = scrub_json(arguments, secrets)
        await self._record(call.name[:64], action, arguments, outcome, started)
        if result is not None:
            return result
        if outcome.status == "failed":
            return ToolResult(f"No result: {outcome.error}. Do not guess what it would say.")
        assert isinstance(action, HttpAction)
        lines = [f"{name}: {value}" for name, value in arguments.items()]
        lines += [f"{path}: {_text(value)}" for path, value in outcome.result.items()]
        if not outcome.result:
            lines.append(f"Done (HTTP {outcome.response_status}).")
        return ToolResult("\n".join(lines), source=action.label)

    async def _run(
        self, action: HttpAction, values: dict[str, str]
    ) -> tuple[Outcome, dict[str, str]]:
        runner = self.actions
        async with runner.db.session() as session:
            conversation = await session.get(Conversation, self.conversation_id)
            workspace = await session.get(Workspace, self.agent.workspace_id)
            if conversation is None or workspace is None:
                return _refused("the conversation is gone"), {}
            variables = await runner.variables(session, self.agent, conversation)
            # A missing secret is reported by the run itself.
            secrets = await resolve(
                session, runner.cipher(), workspace.id, secret_names(action), strict=False
            )
            allowed = list(workspace.allowed_hosts or [])
        # No database session is held while the other system answers.
        outcome = await run_http_action(action, {**variables, "tool": values}, secrets, allowed)
        return outcome, secrets

    async def _offer(self, form: FormAction, arguments: Any) -> tuple[Outcome, ToolResult]:
        if arguments:
            raise ValueError("offering a form takes no arguments")
        async with self.actions.db.session() as session:
            conversation = await session.get(Conversation, self.conversation_id)
            lead = conversation.lead if conversation else None
            pending = conversation.pending_form if conversation else None
        if lead:
            text = "The visitor already left their details; do not ask for them again."
            return _refused("the visitor already left their details"), ToolResult(text)
        if pending:
            text = "A form is already waiting for the visitor's answer."
            return _refused("a form is already waiting for an answer"), ToolResult(text)
        outcome = Outcome("succeeded", 1, {}, result={"form": form.name})
        return outcome, ToolResult(FORM_SHOWN, form=form.name)

    async def _record(
        self,
        name: str,
        action: FormAction | HttpAction | None,
        arguments: dict[str, Any],
        outcome: Outcome,
        started: Any,
    ) -> None:
        finished = utcnow()
        duration = round((finished - started).total_seconds() * 1000)
        async with changes(self.actions.db, self.actions.broker) as session:
            conversation = await session.get(Conversation, self.conversation_id)
            if conversation is None:
                return
            session.add(
                ActionRun(
                    workspace_id=conversation.workspace_id,
                    conversation_id=conversation.id,
                    action=name,
                    kind="tool",
                    status=outcome.status,
                    attempts=outcome.attempts,
                    request={"arguments": arguments, **outcome.request},
                    response_status=outcome.response_status,
                    result=outcome.result,
                    error=outcome.error,
                    created_at=started,
                    finished_at=finished,
                    duration_ms=duration,
                )
            )
            await system_note(
                session, conversation, "tool", _note(name, action, arguments, outcome, duration)
            )
            await announce_changes(session, conversation, ["actions"])


def _parsed(arguments: str) -> Any:
    try:
        return json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"they are not JSON ({exc.msg} at character {exc.pos})") from None


def _refused(error: str) -> Outcome:
    return Outcome("failed", 0, {}, error=error)


def _note(
    name: str,
    action: FormAction | HttpAction | None,
    arguments: dict[str, Any],
    outcome: Outcome,
    duration_ms: int,
) -> str:
    """The call in words for the team: "Tool order_status (Order system), order_number=..."."""
    called = f"The AI called {name}"
    if isinstance(action, HttpAction):
        called += f" ({action.label})"
    if arguments:
        called += " with " + ", ".join(f"{k}={short(v)}" for k, v in arguments.items())
    if outcome.status == "failed":
        return f"{called}: failed after {duration_ms} ms: {outcome.error}"
    if isinstance(action, FormAction):
        return f"{called}: the {action.name} form is offered to the visitor"
    picked = ", ".join(f"{k}={short(v)}" for k, v in outcome.result.items())
    text = f"{called}: HTTP {outcome.response_status} in {duration_ms} ms"
    return text + (f"; {picked}" if picked else "")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
