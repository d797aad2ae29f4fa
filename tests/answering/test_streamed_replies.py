"""A model's reply reaches the visitor and the team while it is written, and is stored once.

The model is the packaged SmolLM2 behind tests/openai_server.py (real HTTP, real SSE); the
widget and the inbox are real sockets on a real server. Each draft frame carries the whole
reply so far; the stored message comes after the last one. A member who takes over stops
the model mid-reply, the draft is discarded with a note, and no AI message is stored. After
a restart, a visitor message a model agent had not finished answering gets "please ask again".
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection

from app_fixtures import Accounts, Started
from frontdesk.answering.pipeline import NOT_FOUND
from frontdesk.conversations import lifecycle
from frontdesk.conversations.messages import post_visitor_message
from frontdesk.conversations.repository import messages_after
from frontdesk.conversations.responder import DISCARDED, INTERRUPTED
from live_support import open_socket
from openai_server import OpenAIServer, answer_through
from support import ServerThread

QUESTION = "When is the service department open?"


def _socket(server: ServerThread, path: str, **options: Any) -> ClientConnection:
    return open_socket(server, path, **options)


def _frames_until(socket: ClientConnection, done: Any, timeout: float = 60) -> list[dict[str, Any]]:
    """Frames up to and including the first for which ``done(frame)`` holds."""
    frames = []
    while True:
        frame = json.loads(socket.recv(timeout=timeout))
        frames.append(frame)
        if done(frame):
            return frames


@pytest.fixture
def model_agent(
    client: httpx.Client, agent: dict[str, Any], accounts: Accounts, openai_server: OpenAIServer
) -> dict[str, Any]:
    answer_through(client, accounts, agent, openai_server, max_tokens=40)
    return agent


def test_the_widget_and_the_inbox_watch_the_reply_being_written(
    server: ServerThread, client: httpx.Client, model_agent: dict[str, Any], visitors: Any
) -> None:
    visitor = visitors()
    key = client.headers["Authorization"]
    with (
        _socket(server, f"/api/v1/widget/ws?token={visitor.token}&after=0") as widget,
        _socket(server, "/api/v1/inbox/ws", additional_headers={"Authorization": key}) as inbox,
    ):
        _frames_until(inbox, lambda f: f["type"] == "ready")
        assert visitor.send(QUESTION).status_code == 201

        seen = _frames_until(
            widget, lambda f: f["type"] == "message" and f["message"]["author"] == "ai"
        )
        drafts = [f["text"] for f in seen if f["type"] == "draft"]
        # Several frames, each the reply so far: every one extends the one before.
        assert len(drafts) > 1, seen
        assert all(b.startswith(a) and len(b) > len(a) for a, b in itertools.pairwise(drafts))
        assert all("[" not in d or "]" not in d for d in drafts)  # no citation markers
        stored = seen[-1]["message"]
        if stored["text"].startswith(NOT_FOUND):
            # The grounding guard refused the draft: what is stored replaces it.
            assert stored["citations"] == []
        else:
            assert stored["text"] == drafts[-1]
        assert _frames_until(widget, lambda f: f["type"] == "typing")[-1]["typing"] is False

        watched = _frames_until(inbox, lambda f: f["type"] == "typing" and not f["data"]["typing"])
        team_drafts = [f["data"]["text"] for f in watched if f["type"] == "draft"]
        assert team_drafts == drafts
        assert {f["conversation_id"] for f in watched if f["type"] == "draft"} == {visitor.id}

    # Stored once, with the model as its writer; the drafts were never stored.
    history = client.get(f"/api/v1/conversations/{visitor.id}").json()
    authors = [m["author"] for m in history["messages"] if m["author"] != "system"]
    assert authors == ["visitor", "ai"]


def test_taking_over_mid_reply_stops_the_model_and_discards_the_draft(
    server: ServerThread,
    client: httpx.Client,
    model_agent: dict[str, Any],
    visitors: Any,
    member: httpx.Client,
    openai_server: OpenAIServer,
) -> None:
    openai_server.behaviour.pace_s = 0.25  # a slow endpoint: the reply takes seconds
    visitor = visitors()
    with _socket(server, f"/api/v1/widget/ws?token={visitor.token}&after=0") as widget:
        assert visitor.send(QUESTION).status_code == 201
        _frames_until(widget, lambda f: f["type"] == "draft")

        taken = member.post(f"/api/v1/conversations/{visitor.id}/takeover")
        assert taken.status_code == 200, taken.text
        # The model is stopped: the endpoint sees its stream closed before the end.
        assert openai_server.stream_cut.wait(timeout=30)
        after = _frames_until(widget, lambda f: f["type"] == "typing" and not f["typing"])
        assert {"type": "status", "status": "human"} in after
        assert not [f for f in after if f["type"] == "message" and f["message"]["author"] == "ai"]

    messages = member.get(f"/api/v1/conversations/{visitor.id}").json()["messages"]
    assert [m["author"] for m in messages if m["author"] != "system"] == ["visitor"]
    notes = [m["text"] for m in messages if m["author"] == "system"]
    assert DISCARDED in notes
    # The visitor sees neither the draft nor the note.
    assert [m["author"] for m in visitor.history()["messages"]] == ["visitor"]


async def test_a_reply_cut_by_a_restart_asks_the_visitor_to_ask_again(
    started: Started, model_file: Path
) -> None:
    runtime = started.runtime
    agent = await started.agent(
        "Dealer", generator="local", generator_config={"model_path": str(model_file)}
    )
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        # Stored and acknowledged; then the process stopped while the model was writing.
        await post_visitor_message(session, conversation, QUESTION, None, 4000)
    assert await runtime.responder.recover() == 1
    await runtime.responder.drain()
    async with runtime.db.session() as session:
        messages = await messages_after(session, conversation.id)
    assert [(m.author, m.text) for m in messages][1:] == [("ai", INTERRUPTED)]
    # Answered once: a second start finds nothing left to do.
    assert await runtime.responder.recover() == 0
