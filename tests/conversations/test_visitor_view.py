"""What a visitor sees, over a real server: the same messages and fields by HTTP history and
by the widget socket (replay and live); notes, system events and the team's evidence never."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from app_fixtures import Started
from frontdesk.conversations import lifecycle
from frontdesk.conversations.models import AnswerRecord
from frontdesk.conversations.repository import messages_after, thread_before
from frontdesk.conversations.schemas import MessageOut
from frontdesk.conversations.thread import add_message
from frontdesk.conversations.visitor_view import for_visitor
from live_support import next_frame
from support import ServerThread

NOTE = "Internal: this customer still owes us for the last service"
# Keys of the team's evidence (Citation) and of the AI's answer record (AnswerRecord).
TEAM_ONLY_KEYS = {"source", "source_id", "title", "location", "snippet", "score", "private"}
TEAM_ONLY_KEYS |= set(AnswerRecord.model_fields)


@contextmanager
def _widget_socket(server: ServerThread, token: str) -> Iterator[ClientConnection]:
    with connect(server.url.replace("http://", "ws://") + "/api/v1/widget/ws") as socket:
        socket.send(json.dumps({"type": "hello", "token": token, "after": 0}))
        yield socket


def _messages_until(socket: ClientConnection, last: str) -> list[dict[str, Any]]:
    """Message frames up to the one whose text is ``last`` (frames of one conversation are
    sent in order, so every message before it has been sent or dropped by then)."""
    messages = []
    while True:
        message = next_frame(socket, "message")["message"]
        messages.append(message)
        if message["text"] == last:
            return messages


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_notes_system_events_and_evidence_never_reach_the_visitor(
    server: ServerThread, visitors, member: httpx.Client, client: httpx.Client
) -> None:
    visitor = visitors()
    with _widget_socket(server, visitor.token) as live:
        next_frame(live, "form")  # the greeting's last frame: from here on, live frames
        visitor.send("When is the service department open?")
        visitor.wait_for("ai")
        assert visitor.handoff().json()["status"] == "waiting"  # a "handoff" system note
        posted = f"/api/v1/conversations/{visitor.id}/messages"
        assert member.post(posted, json={"text": NOTE, "private": True}).status_code == 201
        # Replying takes the conversation over: a "takeover" system note, then the reply.
        assert member.post(posted, json={"text": "Sam here"}).status_code == 201
        streamed = _messages_until(live, "Sam here")
    with _widget_socket(server, visitor.token) as again:
        replayed = _messages_until(again, "Sam here")
    history = visitor.history()["messages"]

    detail = client.get(f"/api/v1/conversations/{visitor.id}").json()
    team = [MessageOut.model_validate(m) for m in detail["messages"]]
    hidden = [m for m in team if m.private or m.author == "system"]
    assert {m.event for m in hidden} >= {None, "handoff", "takeover"}  # the note and events
    [answer] = [m for m in team if m.author == "ai" and m.citations]
    record = AnswerRecord.model_validate(answer.payload)
    assert record.answered and record.generator  # written through the record
    visible = [m.seq for m in team if for_visitor(m) is not None]
    assert visible == [m.seq for m in team if m not in hidden] and len(visible) == 4

    for view in (history, streamed, replayed):
        assert [m["seq"] for m in view] == visible
        assert not _keys(view) & TEAM_ONLY_KEYS
        raw = json.dumps(view)
        assert all(m.text not in raw for m in hidden)
        assert all(c.source_id not in raw for c in answer.citations)
        [cited] = [m for m in view if m["seq"] == answer.seq]
        assert cited["payload"] is None and cited["event"] is None
        assert cited["citations"] == [{"label": c.label, "url": c.url} for c in answer.citations]
    assert streamed == replayed == history


async def test_queries_for_the_visitor_and_the_ai_keep_the_same_rule(started: Started) -> None:
    agent = await started.agent("Dealer")
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        for author, private, event in [
            ("visitor", False, None),
            ("ai", False, None),
            ("member", True, None),
            ("system", False, "handoff"),
            ("ai", False, "form"),
            ("visitor", False, "form_submitted"),
            ("member", False, None),
        ]:
            await add_message(session, conversation, author, "x", private=private, event=event)
    async with started.runtime.db.session() as session:
        every = await messages_after(session, conversation.id)
        shown = await messages_after(session, conversation.id, visitor_view=True)
        thread = await thread_before(session, conversation.id, len(every) + 1)
    rule = [m for m in every if for_visitor(m) is not None]
    assert [m.seq for m in shown] == [m.seq for m in rule] == [1, 2, 5, 6, 7]
    assert [author for author, _ in thread.history] == [m.author for m in rule]
