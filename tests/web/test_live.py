"""The live sockets over a real server: delivery, resume without loss or duplicates, typing,
private notes, authentication and workspace isolation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from app_fixtures import Accounts, with_database
from frontdesk.app import create_app
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.thread import add_message
from frontdesk.db.engine import Database
from frontdesk.events import store
from frontdesk.events.types import Event
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from live_support import member_socket, open_socket
from support import ServerThread


def _ws_url(server: ServerThread, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def _next(socket: ClientConnection, kind: str | None = None, timeout: float = 30) -> dict[str, Any]:
    """The next frame (of ``kind``, skipping others) within ``timeout`` seconds."""
    while True:
        frame: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
        if kind is None or frame["type"] == kind:
            return frame


def _visitor_socket(
    server: ServerThread, token: str, after: int = 0, **options: Any
) -> ClientConnection:
    return open_socket(server, f"/api/v1/widget/ws?token={token}&after={after}", **options)


def _inbox_socket(
    server: ServerThread, key: str, last_event_id: int | None = None
) -> ClientConnection:
    query = f"?last_event_id={last_event_id}" if last_event_id is not None else ""
    return open_socket(
        server, f"/api/v1/inbox/ws{query}", additional_headers={"Authorization": f"Bearer {key}"}
    )


def test_the_widget_socket_streams_answers_status_and_typing(
    server: ServerThread, visitors, member: httpx.Client
) -> None:
    visitor = visitors()
    with _visitor_socket(server, visitor.token) as socket:
        assert _next(socket) == {"type": "status", "status": "bot"}
        assert _next(socket) == {"type": "form", "pending_form": None}  # state as of now
        visitor.send("When is the service department open?", client_id="q1")
        mine = _next(socket, "message")["message"]
        assert (mine["seq"], mine["author"], mine["client_id"]) == (1, "visitor", "q1")
        typing = _next(socket)
        assert typing["type"] == "typing" and typing["author"] == "ai" and typing["typing"] is True
        answer = _next(socket, "message")["message"]
        assert answer["author"] == "ai" and answer["citations"] and answer["seq"] == 2
        assert all(set(c) == {"label", "url"} for c in answer["citations"])
        assert _next(socket, "typing")["typing"] is False

        member.post(
            f"/api/v1/conversations/{visitor.id}/messages",
            json={"text": "secret note", "private": True},
        )
        member.post(f"/api/v1/conversations/{visitor.id}/messages", json={"text": "Sam here"})
        frames = [_next(socket) for _ in range(2)]
        assert frames[0] == {"type": "status", "status": "human"}
        assert frames[1]["message"]["text"] == "Sam here"
        assert frames[1]["message"]["author_name"] == "Sam"
        assert "private" not in frames[1]["message"]

        with member_socket(server, member) as inbox:
            _next(inbox, "ready")
            inbox.send(
                json.dumps({"type": "typing", "conversation_id": visitor.id, "typing": True})
            )
            seen = _next(socket, "typing")
            assert (seen["author"], seen["name"], seen["typing"]) == ("member", "Sam", True)
            socket.send(json.dumps({"type": "typing", "typing": True}))
            theirs = _next(inbox, "typing")
            assert theirs["conversation_id"] == visitor.id
            assert theirs["data"]["author"] == "visitor" and theirs["data"]["typing"] is True


def test_a_dropped_widget_socket_resumes_without_loss_or_duplicates(
    server: ServerThread, visitors, client
) -> None:
    visitor = visitors()
    visitor.handoff()
    with _visitor_socket(server, visitor.token) as socket:
        first = _next(socket, "message")["message"]
    last_seen = first["seq"]
    replies = [f"reply {n}" for n in range(3)]
    for text in replies:
        response = client.post(f"/api/v1/conversations/{visitor.id}/messages", json={"text": text})
        assert response.status_code == 201
    visitor.send("and one from me", client_id="v-2")
    visitor.send("and one from me", client_id="v-2")  # a retry: stored once
    with _visitor_socket(server, visitor.token, after=last_seen) as socket:
        caught_up = [_next(socket, "message")["message"] for _ in range(4)]
        client.post(f"/api/v1/conversations/{visitor.id}/messages", json={"text": "live again"})
        live = _next(socket, "message")["message"]
    assert [m["text"] for m in caught_up] == [*replies, "and one from me"]
    seqs = [m["seq"] for m in [*caught_up, live]]
    assert seqs == sorted(set(seqs)) and seqs[0] > last_seen
    assert live["text"] == "live again"


def test_the_inbox_socket_resumes_from_the_last_event_id(
    server: ServerThread, visitors, client, accounts: Accounts
) -> None:
    key = accounts.api_key()
    with _inbox_socket(server, key) as inbox:
        ready = _next(inbox, "ready")
        visitor = visitors()
        created = _next(inbox, "conversation.created")
        assert created["conversation_id"] == visitor.id
        assert created["data"]["conversation"]["status"] == "bot"
        assert created["id"] > ready["last_event_id"]
    missed_from = created["id"]
    visitor.handoff()
    client.post(
        f"/api/v1/conversations/{visitor.id}/messages", json={"text": "note", "private": True}
    )
    client.post(f"/api/v1/conversations/{visitor.id}/priority", json={"priority": "urgent"})
    with _inbox_socket(server, key, last_event_id=missed_from) as inbox:
        replayed = []
        while (frame := _next(inbox))["type"] != "ready":
            replayed.append(frame)
        ids = [f["id"] for f in replayed]
        assert ids == sorted(set(ids)) and ids[0] > missed_from
        assert frame["last_event_id"] == ids[-1]
        kinds = [(f["type"], f["data"].get("changes")) for f in replayed]
        assert kinds == [
            ("message.created", None),  # the AI's handoff message
            ("message.created", None),  # "Handed off: visitor asked for a person"
            ("conversation.updated", ["status", "team", "summary"]),
            ("message.created", None),  # the private note: members see it
            ("conversation.updated", ["priority"]),
        ]
        assert replayed[3]["data"]["message"]["private"] is True
        visitor.send("still there?")
        live = _next(inbox, "message.created")
        assert live["id"] == ids[-1] + 1 and live["data"]["message"]["text"] == "still there?"

    with _inbox_socket(server, key, last_event_id=0) as inbox:
        frames = []
        while (frame := _next(inbox))["type"] != "ready":
            frames.append(frame)
        assert [f["id"] for f in frames] == sorted(f["id"] for f in frames)


@pytest.mark.live
def test_a_too_old_resume_point_asks_the_inbox_to_reload(
    tmp_path, embedder, migrated_database
) -> None:
    settings = Settings(data_dir=tmp_path / "small", event_replay_limit=100)
    with_database(settings, migrated_database)
    with ServerThread(create_app(settings, Runtime(settings, embedder=embedder))) as server:
        key = Accounts(settings).api_key()
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"})
        agent = api.post("/api/v1/agents", json={"name": "Busy"}).json()
        started = httpx.post(f"{server.url}/api/v1/widget/{agent['public_key']}/conversations")
        url = f"/api/v1/conversations/{started.json()['id']}/priority"
        for n in range(100):
            assert api.post(url, json={"priority": "high" if n % 2 else "low"}).status_code == 200
        with _inbox_socket(server, key, last_event_id=0) as inbox:
            reset = _next(inbox)
            assert reset["type"] == "reset" and reset["last_event_id"] == 101
            assert _next(inbox) == {"type": "ready", "last_event_id": 101}
        with _inbox_socket(server, key, last_event_id=1) as inbox:
            assert _next(inbox)["id"] == 2
        api.close()


def test_events_another_process_wrote_reach_the_inbox_in_order_once(
    server: ServerThread, settings: Settings, visitors, client, accounts: Accounts
) -> None:
    key = accounts.api_key()
    visitor = visitors()
    workspace_id = accounts.default_workspace()
    with _inbox_socket(server, key) as inbox:
        last = _next(inbox, "ready")["last_event_id"]
        # Committed by another server process on the same database: published over there,
        # so this process hears of them only when an event of its own comes after them.
        elsewhere = _write_elsewhere(settings, workspace_id, visitor.id, 3)
        assert [e.seq for e in elsewhere] == [last + 1, last + 2, last + 3]
        client.post(f"/api/v1/conversations/{visitor.id}/priority", json={"priority": "urgent"})
        frames = [_next(inbox) for _ in range(4)]
        assert [f["id"] for f in frames] == [last + 1, last + 2, last + 3, last + 4]
        assert [f["data"].get("elsewhere") for f in frames] == [0, 1, 2, None]
        assert frames[3]["data"]["changes"] == ["priority"]
        client.post(f"/api/v1/conversations/{visitor.id}/priority", json={"priority": "low"})
        assert _next(inbox)["id"] == last + 5  # nothing sent twice


def _write_elsewhere(
    settings: Settings, workspace_id: str, conversation_id: str, count: int
) -> list[Event]:
    """Record events in the server's database as another process would, not published here."""

    async def main() -> list[Event]:
        db = Database(settings.sqlalchemy_url)
        try:
            async with db.transaction() as session:
                items = [
                    ("conversation.updated", workspace_id, conversation_id, {"elsewhere": n})
                    for n in range(count)
                ]
                return await store.record_many(session, items)  # type: ignore[arg-type]
        finally:
            await db.dispose()

    return asyncio.run(main())


def test_a_resume_point_past_the_end_asks_the_inbox_to_reload(
    server: ServerThread, visitors, accounts: Accounts
) -> None:
    key = accounts.api_key()
    visitors()
    with _inbox_socket(server, key) as inbox:
        latest = _next(inbox, "ready")["last_event_id"]
    # E.g. kept by a tab across a restore of an older backup.
    with _inbox_socket(server, key, last_event_id=latest + 50) as inbox:
        assert _next(inbox) == {"type": "reset", "last_event_id": latest}
        assert _next(inbox) == {"type": "ready", "last_event_id": latest}


def test_sockets_refuse_bad_credentials(
    server: ServerThread, visitors, member: httpx.Client, accounts: Accounts
) -> None:
    good = visitors()
    with _visitor_socket(server, good.token) as socket:
        _next(socket, "form")  # the last frame of the greeting
        socket.send("not json")
        assert _next(socket)["error"]["code"] == "bad_frame"
        socket.send("[1, 2]")
        assert _next(socket)["error"]["code"] == "bad_frame"
    with _visitor_socket(server, "vt_bogus") as socket:
        error = _next(socket)
        assert error["type"] == "error" and error["error"]["code"] == "invalid_visitor_token"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    with connect(_ws_url(server, "/api/v1/inbox/ws")) as socket:
        assert _next(socket)["error"]["code"] == "unauthenticated"
    with _inbox_socket(server, "fd_not_a_key") as socket:
        assert _next(socket)["error"]["code"] == "unauthenticated"
    cookie = member.cookies.get("fd_session")
    with connect(
        _ws_url(server, "/api/v1/inbox/ws"),
        additional_headers={"Cookie": f"fd_session={cookie}"},
        origin="https://evil.example",
    ) as socket:
        assert _next(socket)["error"]["code"] == "unauthenticated"


def test_the_widget_socket_checks_allowed_origins(
    server: ServerThread, client, agent, visitors
) -> None:
    visitor = visitors()
    client.patch(
        f"/api/v1/agents/{agent['id']}", json={"allowed_origins": ["https://shop.example.com"]}
    )
    with _visitor_socket(server, visitor.token, origin="https://evil.example") as socket:
        assert _next(socket)["error"]["code"] == "origin_not_allowed"
    with _visitor_socket(server, visitor.token, origin="https://shop.example.com") as socket:
        assert _next(socket) == {"type": "status", "status": "bot"}


def test_inbox_sockets_only_see_their_own_workspace(
    server: ServerThread, accounts: Accounts, visitors, client
) -> None:
    other = accounts.workspace("Other dealer")
    other_key = accounts.api_key(other)
    with _inbox_socket(server, other_key) as theirs:
        _next(theirs, "ready")
        visitor = visitors()  # an event in the default workspace
        visitor.send("Do you offer financing?")
        agent = httpx.post(
            f"{server.url}/api/v1/agents",
            json={"name": "Theirs"},
            headers={"Authorization": f"Bearer {other_key}"},
        ).json()
        with httpx.Client(base_url=server.url) as http:
            started = http.post(f"/api/v1/widget/{agent['public_key']}/conversations", json={})
        frame = _next(theirs)
        assert frame["type"] == "conversation.created"
        assert frame["conversation_id"] == started.json()["id"]
    with pytest.raises(InvalidStatus):
        connect(_ws_url(server, "/api/v1/nowhere"))


def test_a_message_another_process_wrote_reaches_the_widget_in_order_once(
    server: ServerThread, settings: Settings, visitors, client
) -> None:
    visitor = visitors()
    visitor.handoff()
    with _visitor_socket(server, visitor.token) as socket:
        _next(socket, "form")  # after the backlog
        # Written by another process whose wake-up never arrived here (Redis pub/sub loses
        # what a disconnected listener misses): this process hears of it only when a later
        # message of the conversation arrives.
        elsewhere = _reply_elsewhere(settings, visitor.id, "from elsewhere")
        client.post(f"/api/v1/conversations/{visitor.id}/messages", json={"text": "from here"})
        frames = [_next(socket, "message")["message"] for _ in range(2)]
        assert [m["text"] for m in frames] == ["from elsewhere", "from here"]
        assert elsewhere == frames[0]["seq"] < frames[1]["seq"]
        client.post(f"/api/v1/conversations/{visitor.id}/messages", json={"text": "again"})
        again = _next(socket, "message")["message"]  # none twice
        assert (again["text"], again["seq"]) == ("again", frames[1]["seq"] + 1)


def _reply_elsewhere(settings: Settings, conversation_id: str, text: str) -> int:
    """A team reply committed by another process, published only there; its seq."""

    async def main() -> int:
        runtime = Runtime(settings)
        try:
            async with runtime.changes() as session:
                conversation = await session.get(Conversation, conversation_id)
                assert conversation is not None
                message = await add_message(session, conversation, "member", text)
                return message.seq
        finally:
            await runtime.close()

    return asyncio.run(main())
