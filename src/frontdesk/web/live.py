"""The two live sockets: the widget's (one conversation) and the inbox's (a workspace).

Both resume: the widget from the last message ``seq`` it saw, the inbox from the last event
id (the event's ``seq`` in its workspace's stream). A socket subscribes before it reads the
backlog and drops what it already sent. A socket sends the event (the message) after the last
one it sent straight away; one further on (written by another process, whose earlier ones
have not arrived here yet, or never will: Redis pub/sub drops what a disconnected listener
misses) makes it read what lies between from the log first, so it sends each once and in
order whichever process wrote it. The widget's status and form follow only changes newer than
the last one shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from frontdesk.accounts.caller import Caller
from frontdesk.conversations import repository
from frontdesk.conversations.schemas import MessageOut, VisitorMessageOut
from frontdesk.conversations.visitor_view import for_visitor
from frontdesk.errors import FrontdeskError, NotFound, Unauthorized
from frontdesk.events import store
from frontdesk.events.broker import Subscription
from frontdesk.events.types import Event
from frontdesk.metrics import OPEN_SOCKETS
from frontdesk.runtime import Runtime
from frontdesk.visitors.service import check_origin, conversation_for_token
from frontdesk.web.cors import own_origin
from frontdesk.web.deps import authenticate

router = APIRouter()

BAD_FRAME = {
    "type": "error",
    "error": {
        "code": "bad_frame",
        "message": 'A frame is a JSON object, e.g. {"type": "typing", "typing": true}.',
    },
}
RESUME = 4008  # close code: fell behind; reconnect with the last id/seq to catch up
HELLO_TIMEOUT_S = 10  # for the widget's first frame, which carries its token
SIGNED_OUT = 4401  # close code: this session was ended (sign out everywhere, password change)


async def _refuse(websocket: WebSocket, error: FrontdeskError) -> None:
    await websocket.send_json({"type": "error", **error.as_dict()})
    await websocket.close(code=4000 + error.status)


async def _pump(
    websocket: WebSocket,
    subscription: Subscription,
    on_event: Callable[[Event], Awaitable[None]],
    on_frame: Callable[[dict[str, Any]], Awaitable[None]],
    kind: str,
) -> None:
    """Send subscribed events and handle client frames until either side stops; ``kind``
    (widget or inbox) counts the socket as open meanwhile."""
    with OPEN_SOCKETS.labels(kind=kind).track_inprogress():
        await _serve(websocket, subscription, on_event, on_frame)


async def _serve(
    websocket: WebSocket,
    subscription: Subscription,
    on_event: Callable[[Event], Awaitable[None]],
    on_frame: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:

    async def read() -> None:
        try:
            while True:
                text = await websocket.receive_text()
                try:
                    frame = json.loads(text)
                except ValueError:
                    frame = None
                if not isinstance(frame, dict):
                    await websocket.send_json(BAD_FRAME)
                    continue
                with contextlib.suppress(TypeError, KeyError, FrontdeskError):
                    await on_frame(frame)
        except WebSocketDisconnect:
            pass
        finally:
            subscription.stop()

    reader = asyncio.create_task(read())
    try:
        while (event := await subscription.get()) is not None:
            await on_event(event)
        if not reader.done():
            await websocket.close(code=RESUME)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


def _message_frame(seen: VisitorMessageOut) -> dict[str, Any]:
    return {"type": "message", "message": seen.model_dump(mode="json")}


def _typing(caller_kind: str, workspace_id: str, conversation_id: str, **data: Any) -> Event:
    return Event(
        type="typing",
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        data={"author": caller_kind, **data},
    )


async def _hello(websocket: WebSocket, after: int) -> tuple[str, int]:
    """The visitor token and resume point from the first frame: a URL would put it in logs."""
    try:
        frame = json.loads(await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_S))
    except (TimeoutError, ValueError, KeyError):  # KeyError: a binary frame
        frame = None
    if not isinstance(frame, dict) or frame.get("type") != "hello" or not frame.get("token"):
        raise Unauthorized(
            'Send the visitor token first: {"type": "hello", "token": "...", "after": 0}.',
            code="invalid_visitor_token",
        )
    seq = frame.get("after", after)
    return str(frame["token"]), seq if type(seq) is int else after


@router.websocket("/api/v1/widget/ws")
async def widget_socket(websocket: WebSocket, token: str = "", after: int = 0) -> None:
    """The token comes in a first ``hello`` frame (or, from older widgets, the query)."""
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        if not token:
            token, after = await _hello(websocket, after)
        async with runtime.reads(lookups=True) as session:
            conversation, agent = await conversation_for_token(session, token)
        check_origin(agent, websocket.headers.get("origin"), own_origin(websocket))
    except FrontdeskError as error:
        await _refuse(websocket, error)
        return
    except WebSocketDisconnect:
        return
    last = max(after, 0)
    with runtime.broker.subscribe(conversation.id) as subscription:
        async with runtime.reads() as session:
            # Read first: the state read next already shows every event up to this one.
            shown = await store.latest_seq(session, conversation.workspace_id)
            backlog = await repository.messages_after(session, conversation.id, last)
            current = await session.get(type(conversation), conversation.id)
        for message in backlog:
            if (seen := for_visitor(message)) is not None:
                await websocket.send_json(_message_frame(seen))
            last = message.seq
        await websocket.send_json(
            {"type": "status", "status": current.status if current else "closed"}
        )
        # The form state as of now, for a form offered while this socket was away.
        pending = current.pending_form if current else None
        await websocket.send_json(
            {"type": "form", "pending_form": pending["action"] if pending else None}
        )

        async def catch_up(upto: int) -> None:
            """Send the messages after ``last`` from the log: another process wrote them."""
            nonlocal last
            async with runtime.reads() as session:
                missed = await repository.messages_after(session, conversation.id, last)
            for message in missed:
                if (seen := for_visitor(message)) is not None:
                    await websocket.send_json(_message_frame(seen))
                last = message.seq
            if last < upto:  # too many, or not readable yet: resume later
                await websocket.close(code=RESUME)
                raise WebSocketDisconnect(RESUME)

        async def on_event(event: Event) -> None:
            nonlocal last, shown
            if event.conversation_id != conversation.id:
                return
            if event.type == "message.created":
                message = event.data["message"]
                if message["seq"] <= last:
                    return
                if message["seq"] > last + 1:  # one before it has not arrived here (yet)
                    await catch_up(message["seq"])
                    return
                last = message["seq"]
                if (seen := for_visitor(MessageOut.model_validate(message))) is not None:
                    await websocket.send_json(_message_frame(seen))
            elif event.type == "conversation.updated":
                # From several processes, an older change can arrive after a newer one.
                if event.seq is not None and event.seq <= shown:
                    return
                shown = event.seq or shown
                changed, view = event.data["changes"], event.data["conversation"]
                if "status" in changed:
                    await websocket.send_json({"type": "status", "status": view["status"]})
                if "pending_form" in changed or "lead" in changed:
                    pending = view["pending_form"]
                    await websocket.send_json(
                        {"type": "form", "pending_form": pending["action"] if pending else None}
                    )
            elif event.type == "draft":
                await websocket.send_json(
                    {"type": "draft", "name": event.data["name"], "text": event.data["text"]}
                )
            elif event.type == "typing" and event.data["author"] != "visitor":
                await websocket.send_json(
                    {
                        "type": "typing",
                        "author": event.data["author"],
                        "name": event.data.get("name"),
                        "typing": bool(event.data["typing"]),
                    }
                )

        async def on_frame(frame: dict[str, Any]) -> None:
            if frame.get("type") == "typing":
                await runtime.broker.publish(
                    [
                        _typing(
                            "visitor",
                            conversation.workspace_id,
                            conversation.id,
                            member_id=None,
                            name=None,
                            typing=bool(frame.get("typing")),
                        )
                    ]
                )

        await _pump(websocket, subscription, on_event, on_frame, "widget")


def _ends(caller: Caller, event: Event) -> bool:
    """Whether a member.signed_out event ends this socket's session."""
    return (
        caller.session_id is not None
        and event.data.get("member_id") == caller.member_id
        and event.data.get("keep") != caller.session_id
    )


async def _inbox_caller(websocket: WebSocket, runtime: Runtime) -> Caller:
    caller = await authenticate(runtime, websocket.headers, websocket.cookies)
    if caller is None:
        raise Unauthorized("Sign in or send an API key (Authorization: Bearer ...).")
    origin = websocket.headers.get("origin")
    if caller.via == "session" and origin is not None and origin != own_origin(websocket):
        # A cookie travels with any site's socket; only the inbox's own pages may use it.
        raise Unauthorized("Signed-in sockets are only accepted from this server's pages.")
    return caller


@router.websocket("/api/v1/inbox/ws")
async def inbox_socket(websocket: WebSocket, last_event_id: int | None = None) -> None:
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        caller = await _inbox_caller(websocket, runtime)
    except FrontdeskError as error:
        await _refuse(websocket, error)
        return
    workspace_id = caller.workspace_id
    limit = runtime.settings.event_replay_limit
    with runtime.broker.subscribe(workspace_id) as subscription:
        async with runtime.reads() as session:
            latest = await store.latest_seq(session, workspace_id)
            if last_event_id is None:
                backlog: Sequence[Event] | None = []
            elif last_event_id > latest:  # not a point of this stream: start afresh
                backlog = None
            else:
                backlog = await store.since(session, workspace_id, last_event_id, limit)
        last = latest if last_event_id is None else last_event_id
        if backlog is None:
            await websocket.send_json({"type": "reset", "last_event_id": latest})
            last = latest
        else:
            for event in backlog:
                await websocket.send_text(event.frame_text)
                last = event.seq or last
        await websocket.send_json({"type": "ready", "last_event_id": last})
        known: set[str] = set()

        async def catch_up(upto: int) -> None:
            """Send what the log holds after ``last``: events other processes wrote."""
            nonlocal last
            async with runtime.reads() as session:
                missed = await store.since(session, workspace_id, last, limit)
            for event in missed or ():
                await websocket.send_text(event.frame_text)
                last = event.seq or last
            if missed is None or last < upto:  # too many, or not readable yet: resume later
                await websocket.close(code=RESUME)
                raise WebSocketDisconnect(RESUME)

        async def on_event(event: Event) -> None:
            nonlocal last
            if event.workspace_id != workspace_id:
                return
            if event.type == "member.signed_out":
                if _ends(caller, event):
                    await websocket.close(code=SIGNED_OUT)
                    raise WebSocketDisconnect(SIGNED_OUT)
                return
            if event.seq is None:
                if event.data.get("member_id") != caller.member_id or caller.member_id is None:
                    await websocket.send_text(event.frame_text)
                return
            if event.seq <= last:
                return
            if event.seq > last + 1:
                await catch_up(event.seq)
                return
            last = event.seq
            await websocket.send_text(event.frame_text)

        async def on_frame(frame: dict[str, Any]) -> None:
            conversation_id = frame.get("conversation_id")
            if frame.get("type") != "typing" or not isinstance(conversation_id, str):
                return
            if conversation_id not in known:
                async with runtime.reads() as session:
                    try:
                        await repository.get_conversation(session, workspace_id, conversation_id)
                    except NotFound:
                        return
                known.add(conversation_id)
            await runtime.broker.publish(
                [
                    _typing(
                        "member",
                        workspace_id,
                        conversation_id,
                        member_id=caller.member_id,
                        name=caller.name,
                        typing=bool(frame.get("typing")),
                    )
                ]
            )

        # A signed-in member with an inbox open is present (API-key sockets are not people).
        if caller.via == "session" and caller.member_id:
            async with runtime.presence.connected(caller.member_id):
                await _pump(websocket, subscription, on_event, on_frame, "inbox")
        else:
            await _pump(websocket, subscription, on_event, on_frame, "inbox")
