"""Tools a model may call while it writes a reply, and the bounds on calling them.

The agent's HTTP actions and forms with a ``tool`` block are offered by name, description
and JSON schema (``definitions``). A call is carried out by a ``ToolRunner`` the caller
gives: the conversation's side of it, which runs the action and records the call for the
team; answering never sees how. A ``Tools`` lives for one reply: it numbers what the tools
returned as passages after the retrieved ones, so the model can cite a result like any
passage ("[3]"), and stops offering tools after ``MAX_ROUNDS`` turns or ``MAX_CALLS`` calls.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from frontdesk.actions.config import FormAction, HttpAction
from frontdesk.knowledge.hits import Hit

log = logging.getLogger(__name__)

MAX_ROUNDS = 3  # turns of the model that may call tools; the next one must answer
MAX_CALLS = 5  # calls in one reply, all turns together
MAX_RESULT_CHARS = 2000  # of one result, as the model reads it


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]  # a JSON schema of type object


@dataclass(frozen=True)
class ToolCall:
    name: str
    # As the model wrote them: JSON text (OpenAI) or an object (Anthropic); checked by the
    # runner against the tool's parameters.
    arguments: str | dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    """What a call came to: ``text`` for the model; ``source`` names a result it may cite."""

    text: str
    source: str | None = None  # "Order system": the result is a passage with that title
    form: str | None = None  # the form the call offered


class ToolRunner(Protocol):
    async def __call__(self, call: ToolCall) -> ToolResult:
        """Run the call and record it; never raises for what the call meets."""
        ...


def definitions(actions: Sequence[FormAction | HttpAction]) -> list[Tool]:
    """The actions a model may call (those with a tool block), as it is told of them."""
    tools = []
    for action in actions:
        if action.tool is None:
            continue
        if isinstance(action, HttpAction):
            schema = action.tool.parameters.json_schema()
        else:
            schema = {"type": "object", "properties": {}, "required": []}
            schema["additionalProperties"] = False
        tools.append(Tool(action.name, action.tool.description, schema))
    return tools


@dataclass
class Tools:
    """The tools of one reply: what they returned, numbered after ``first`` passages."""

    offered: list[Tool]
    runner: ToolRunner
    first: int  # passages the model was given before any tool ran
    passages: list[Hit] = field(default_factory=list)
    rounds: int = 0
    calls: int = 0
    form: str | None = None

    @property
    def open(self) -> bool:
        """Whether the model may still call a tool in its next turn."""
        return self.rounds < MAX_ROUNDS and self.calls < MAX_CALLS

    @property
    def count(self) -> int:
        """Passages the model can cite now: the retrieved ones and the tools' results."""
        return self.first + len(self.passages)

    async def run(self, calls: Sequence[ToolCall]) -> list[str]:
        """Run one turn's calls in order; what the model reads back for each."""
        self.rounds += 1
        return [await self._one(call) for call in calls]

    async def _one(self, call: ToolCall) -> str:
        if self.calls >= MAX_CALLS:
            return f"Not called: at most {MAX_CALLS} tool calls per reply. Answer now."
        self.calls += 1
        try:
            result = await self.runner(call)
        except Exception:
            # The runner records its own failures; this is a bug on our side, not the call's.
            log.exception("tool %s could not be run", call.name[:64])
            return "The tool could not be run. Do not guess what it would have said."
        text = result.text[:MAX_RESULT_CHARS]
        if result.form is not None and self.form is None:
            self.form = result.form
        if result.source is None:
            return text
        number = self.count + 1
        self.passages.append(
            Hit(
                chunk_id=-1000 - len(self.passages),
                source_id=f"tool:{call.name}",
                source=result.source,
                title=result.source,
                location="",
                url=None,
                text=text,
            )
        )
        return f"[{number}] {result.source}\n{text}"


def arguments_json(arguments: str | dict[str, Any]) -> str:
    """The arguments as JSON text, as a chat history carries them."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments)
