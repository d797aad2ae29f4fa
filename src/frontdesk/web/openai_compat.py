"""An OpenAI-compatible endpoint per agent: `POST /v1/chat/completions`, `GET /v1/models`.

Any OpenAI client talks to an agent by naming it as the model (its name or id), with a
workspace API key as the bearer token. Each call is one visitor message in a conversation
like any other: it appears in the inbox and insights, the rules may hand it off, and the
team can take over. The reply is grounded in the agent's sources; citations, confidence,
handoff and the conversation id travel in an extra ``frontdesk`` field, and sending that
``conversation_id`` back (a top-level extra field, ``extra_body`` in the official client)
continues the conversation. While a person has it, a call returns what the team wrote since
the client's previous call (possibly nothing yet: ask again later).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import Agent
from frontdesk.agents.service import find_agent, list_agents
from frontdesk.conversations import lifecycle
from frontdesk.conversations.messages import post_visitor_message
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.repository import get_conversation, messages_after
from frontdesk.conversations.schemas import VisitorCitation
from frontdesk.conversations.visitor_view import for_visitor
from frontdesk.errors import InvalidInput
from frontdesk.inputs import Input
from frontdesk.web.deps import CallerDep, RuntimeDep

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

STREAM_PIECE_WORDS = 3


class ChatMessageIn(Input):
    model_config = ConfigDict(strict=True, extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionIn(Input):
    """OpenAI's request; parameters the agent decides itself (temperature…) are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")

    model: str = Field(min_length=1, max_length=200, description="The agent's name or id.")
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=200)
    stream: bool = False
    conversation_id: str | None = Field(
        None, max_length=40, description="Continue this conversation (from `frontdesk`)."
    )


class FrontdeskExtra(BaseModel):
    conversation_id: str
    status: str = Field(description="bot (the AI answers), waiting or human (the team).")
    citations: list[VisitorCitation]
    confidence: float | None
    handoff: bool = Field(description="True when the conversation now waits for a person.")
    messages: list[dict[str, Any]] = Field(
        description="The replies since the client's previous call, as the visitor sees them."
    )


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "frontdesk"
    name: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


@router.get("/models")
async def list_models(caller: CallerDep, runtime: RuntimeDep) -> ModelList:
    """The workspace's agents, each usable as a model (by id or by name)."""
    async with runtime.reads() as session:
        agents = await list_agents(session, caller.workspace_id)
    return ModelList(
        data=[ModelOut(id=a.id, name=a.name, created=int(a.created_at.timestamp())) for a in agents]
    )


def _question(body: ChatCompletionIn) -> str:
    """The last user message's text (the conversation itself is kept by the product)."""
    for message in reversed(body.messages):
        if message.role != "user":
            continue
        if isinstance(message.content, str):
            text = message.content
        else:
            parts = message.content or []
            text = " ".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")
        if text.strip():
            return text
    raise InvalidInput("The last user message has no text.", field="messages")


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionIn, caller: CallerDep, runtime: RuntimeDep
) -> dict[str, Any] | StreamingResponse:
    """One visitor message to the agent named by ``model``; its reply, OpenAI-shaped."""
    question = _question(body)
    async with runtime.reads() as session:
        agent = await find_agent(session, caller.workspace_id, body.model)
        if body.conversation_id:
            known = await get_conversation(session, caller.workspace_id, body.conversation_id)
            if known.agent_id != agent.id:
                raise InvalidInput(
                    "That conversation belongs to another agent.", field="conversation_id"
                )
    async with runtime.changes() as session:
        if body.conversation_id:
            conversation = await get_conversation(
                session, caller.workspace_id, body.conversation_id
            )
        else:
            current = await session.get(Agent, agent.id)
            assert current is not None
            conversation = (await lifecycle.start_conversation(session, current)).conversation
        since = await _delivered(session, conversation)
        posted = await post_visitor_message(
            session, conversation, question, None, runtime.settings.max_message_chars
        )
        conversation_id = conversation.id
    if posted.needs_reply:
        await runtime.responder.reply(conversation_id, posted.message.seq)
    async with runtime.reads() as session:
        current_conversation = await get_conversation(session, caller.workspace_id, conversation_id)
        replies = [
            m
            for m in await messages_after(session, conversation_id, since, visitor_view=True)
            if m.author != "visitor"
        ]
    completion = _completion(agent, current_conversation, replies, posted.message.seq)
    if body.stream:
        return StreamingResponse(_chunks(completion), media_type="text/event-stream")
    return completion


async def _delivered(session: AsyncSession, conversation: Conversation) -> int:
    """Up to where the client has had the thread: its own messages and the AI's replies
    (made during its calls); the team's replies after them are new to it."""
    seq = await session.scalar(
        select(func.max(Message.seq)).where(
            Message.conversation_id == conversation.id, Message.author.in_(("visitor", "ai"))
        )
    )
    return int(seq or 0)


def _completion(
    agent: Agent, conversation: Conversation, replies: list[Message], seq: int
) -> dict[str, Any]:
    seen = [view for m in replies if (view := for_visitor(m)) is not None]
    text = "\n\n".join(view.text for view in seen)
    last_ai = next((m for m in reversed(replies) if m.author == "ai"), None)
    record = last_ai.answer if last_ai is not None else None
    usage = {
        "prompt_tokens": record.prompt_tokens if record else 0,
        "completion_tokens": record.completion_tokens if record else 0,
        "total_tokens": record.tokens if record else 0,
    }
    extra = FrontdeskExtra(
        conversation_id=conversation.id,
        status=str(conversation.status),
        citations=[c for view in seen for c in view.citations],
        confidence=last_ai.confidence if last_ai is not None else None,
        handoff=conversation.status in ("waiting", "human"),
        messages=[view.model_dump(mode="json") for view in seen],
    )
    return {
        "id": f"chatcmpl-{conversation.id}-{seq}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": agent.name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
        "frontdesk": extra.model_dump(mode="json"),
    }


async def _chunks(completion: dict[str, Any]) -> AsyncIterator[str]:
    """The stored reply as OpenAI's server-sent chunks, a few words each, then [DONE]."""
    head = {k: completion[k] for k in ("id", "created", "model")}
    text: str = completion["choices"][0]["message"]["content"]

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            **head,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    words = text.split(" ")
    for start in range(0, len(words), STREAM_PIECE_WORDS):
        piece = " ".join(words[start : start + STREAM_PIECE_WORDS])
        yield chunk({"content": piece if start == 0 else " " + piece})
    yield chunk({}, "stop", usage=completion["usage"], frontdesk=completion["frontdesk"])
    yield "data: [DONE]\n\n"
