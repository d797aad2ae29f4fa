"""Two server processes' worth of Frontdesk (two uvicorn servers, each with its own Runtime)
on one database and one Redis: sockets on one see what was written through the other, in
order, once; resume works across them; rate limits and presence are shared; and Redis going
away loses no message (the log has them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app_fixtures import Accounts, api_client, new_agent, sign_in, with_database
from chat_fixtures import Visitor
from frontdesk.app import create_app
from frontdesk.cli.serve import server_options
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from live_support import member_socket, next_frame
from redis_server import RedisServer
from support import ServerThread, wait_until

pytestmark = pytest.mark.live


@dataclass
class Pair:
    a: ServerThread
    b: ServerThread
    settings: Settings
    accounts: Accounts
    public_key: str
    api: httpx.Client  # an API client of B


def _serve(settings: Settings, embedder: OnnxMiniLM) -> ServerThread:
    app = create_app(settings, Runtime(settings, embedder=embedder))
    return ServerThread(app, **server_options(settings))


@contextmanager
def _pair(
    settings: Settings, redis: RedisServer, embedder: OnnxMiniLM, **changes: Any
) -> Iterator[Pair]:
    shared = settings.model_copy(
        update={"redis_url": SecretStr(redis.url), "presence_expiry_s": 1.5, **changes}
    )
    with _serve(shared, embedder) as a, _serve(shared, embedder) as b:
        accounts = Accounts(shared)
        with api_client(b, accounts) as api:
            agent_id = new_agent(api)
            public_key = api.get(f"/api/v1/agents/{agent_id}").json()["public_key"]
            yield Pair(a, b, shared, accounts, public_key, api)


@pytest.fixture
def pair(
    settings: Settings, redis_server: RedisServer, embedder: OnnxMiniLM, migrated_database: Any
) -> Iterator[Pair]:
    with_database(settings, migrated_database)
    with _pair(settings, redis_server, embedder) as both:
        yield both


def _widget_socket(server: ServerThread, token: str, after: int = 0) -> ClientConnection:
    query = f"?token={token}&after={after}"
    return connect(
        server.url.replace("http://", "ws://") + "/api/v1/widget/ws" + query, max_queue=None
    )


def _frame(socket: ClientConnection, timeout: float = 30) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
    return frame


def _reply(pair: Pair, conversation_id: str, text: str) -> None:
    path = f"/api/v1/conversations/{conversation_id}/messages"
    response = pair.api.post(path, json={"text": text})
    assert response.status_code == 201, response.text


def _messages_until(socket: ClientConnection, last_text: str) -> list[dict[str, Any]]:
    """The message frames up to the one saying ``last_text``."""
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["text"] != last_text:
        frame = _frame(socket)
        if frame["type"] == "message":
            seen.append(frame["message"])
    return seen


def test_a_visitor_on_a_sees_replies_written_through_b_in_order_once(pair: Pair) -> None:
    visitor = Visitor(pair.a, pair.public_key)
    assert visitor.handoff().status_code in (200, 201, 202)
    pair.accounts.member("sam@ridgeline.test", name="Sam")
    member = sign_in(pair.b, "sam@ridgeline.test")
    with _widget_socket(pair.a, visitor.token) as widget, member_socket(pair.b, member) as inbox:
        next_frame(inbox, "ready")
        while _frame(widget)["type"] != "form":  # the greeting ends with the form state
            pass
        replies = [f"reply {n}" for n in range(8)]
        for text in replies:
            _reply(pair, visitor.id, text)
        seen = _messages_until(widget, replies[-1])
        assert [m["text"] for m in seen if m["author"] == "member"] == replies
        seqs = [m["seq"] for m in seen]
        assert seqs == sorted(set(seqs))  # in order, none twice

        # The visitor writes through A; the member's inbox on B hears it.
        assert visitor.send("thanks, one more question").status_code == 201
        while True:
            frame = next_frame(inbox, "message.created")
            if frame["data"]["message"]["text"] == "thanks, one more question":
                break
        assert frame["conversation_id"] == visitor.id
    visitor.close()
    member.close()


def test_sockets_resume_on_the_other_server(pair: Pair) -> None:
    visitor = Visitor(pair.a, pair.public_key)
    visitor.handoff()
    with _widget_socket(pair.a, visitor.token) as widget:
        _reply(pair, visitor.id, "first")
        last = _messages_until(widget, "first")[-1]["seq"]
    inbox_key = pair.accounts.api_key()
    headers = {"Authorization": f"Bearer {inbox_key}"}
    inbox_url = pair.a.url.replace("http://", "ws://") + "/api/v1/inbox/ws"
    with connect(inbox_url, additional_headers=headers, max_queue=None) as inbox:
        last_event = next_frame(inbox, "ready")["last_event_id"]
    for text in ("second", "third"):
        _reply(pair, visitor.id, text)
    # The visitor comes back through B, the inbox through B, each from where it stopped.
    with _widget_socket(pair.b, visitor.token, after=last) as widget:
        caught_up = _messages_until(widget, "third")
        assert [m["text"] for m in caught_up if m["author"] == "member"] == ["second", "third"]
        assert all(m["seq"] > last for m in caught_up)
    b_inbox_url = pair.b.url.replace("http://", "ws://") + "/api/v1/inbox/ws"
    with connect(
        f"{b_inbox_url}?last_event_id={last_event}", additional_headers=headers, max_queue=None
    ) as inbox:
        replayed = []
        while (frame := _frame(inbox))["type"] != "ready":
            replayed.append(frame)
        ids = [f["id"] for f in replayed]
        assert ids == list(range(last_event + 1, last_event + 1 + len(ids)))
        texts = [f["data"]["message"]["text"] for f in replayed if f["type"] == "message.created"]
        assert texts == ["second", "third"]
    visitor.close()


def test_a_visitor_rate_limit_counts_attempts_on_both_servers(
    settings: Settings, redis_server: RedisServer, embedder: OnnxMiniLM, migrated_database: Any
) -> None:
    with_database(settings, migrated_database)
    with _pair(settings, redis_server, embedder, visitor_messages_per_minute=4) as pair:
        visitor = Visitor(pair.a, pair.public_key)
        visitor.handoff()
        on_b = httpx.Client(base_url=pair.b.url, timeout=30, headers=visitor.http.headers)
        statuses = []
        for n in range(4):
            client = visitor.http if n % 2 else on_b
            body = {"text": f"message {n}", "client_id": f"m{n}"}
            response = client.post(f"/api/v1/widget/conversations/{visitor.id}/messages", json=body)
            statuses.append(response.status_code)
        assert statuses == [201] * 4
        # Each server saw two: alone, neither would refuse; together they have seen four.
        for client in (visitor.http, on_b):
            body = {"text": "one too many", "client_id": "m-over"}
            refused = client.post(f"/api/v1/widget/conversations/{visitor.id}/messages", json=body)
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "rate_limited"
        on_b.close()
        visitor.close()


def _presence(pair: Pair, server: ServerThread, member_id: str) -> str:
    with api_client(server, pair.accounts) as http:
        members = http.get("/api/v1/members").json()["members"]
    [found] = [m for m in members if m["id"] == member_id]
    return str(found["presence"])


def test_presence_is_shared_and_outlives_a_restart_of_the_other_server(
    pair: Pair, embedder: OnnxMiniLM
) -> None:
    sam = pair.accounts.member("sam@ridgeline.test", name="Sam")
    member = sign_in(pair.a, "sam@ridgeline.test")
    with member_socket(pair.a, member) as inbox:
        next_frame(inbox, "ready")
        assert _presence(pair, pair.b, sam.id) == "online"
        # Another server starting (B restarted) must not mark Sam offline: his inbox is open.
        with _serve(pair.settings, embedder) as c:
            assert _presence(pair, c, sam.id) == "online"
        with member_socket(pair.b, member) as second:
            next_frame(second, "ready")
        # Closing the socket on B leaves the one on A: still online.
        assert _presence(pair, pair.b, sam.id) == "online"
    wait_until(lambda: _presence(pair, pair.b, sam.id) == "offline", timeout=10, what="offline")
    member.close()


def test_after_redis_restarts_sockets_get_every_message_from_the_log(
    settings: Settings, own_redis_server: RedisServer, embedder: OnnxMiniLM, migrated_database: Any
) -> None:
    with_database(settings, migrated_database)
    with _pair(settings, own_redis_server, embedder) as pair:
        visitor = Visitor(pair.a, pair.public_key)
        visitor.handoff()
        replies = [f"reply {n}" for n in range(6)]
        received: list[dict[str, Any]] = []
        resumed = 0
        with ExitStack() as sockets:
            widget = sockets.enter_context(_widget_socket(pair.a, visitor.token))
            for n, text in enumerate(replies):
                if n == 2:
                    own_redis_server.kill()
                if n == 4:
                    own_redis_server.start()
                _reply(pair, visitor.id, text)
            # As the widget does: on "resume" (4008) it reconnects after the last seq it saw.
            while not received or received[-1]["text"] != replies[-1]:
                try:
                    frame = _frame(widget)
                except ConnectionClosed as closed:
                    assert closed.rcvd is not None and closed.rcvd.code == 4008
                    resumed += 1
                    last = received[-1]["seq"] if received else 0
                    widget = sockets.enter_context(_widget_socket(pair.a, visitor.token, last))
                    continue
                if frame["type"] == "message":
                    received.append(frame["message"])
        assert [m["text"] for m in received if m["author"] == "member"] == replies
        seqs = [m["seq"] for m in received]
        assert seqs == sorted(set(seqs))
        # Told to resume once A's listener was back: what Redis dropped came from the log.
        assert resumed >= 1
        wait_until(
            lambda: httpx.get(f"{pair.a.url}/readyz").status_code == 200, timeout=20, what="ready"
        )
        visitor.close()


def test_readyz_says_when_redis_is_unreachable(
    settings: Settings, own_redis_server: RedisServer, embedder: OnnxMiniLM, migrated_database: Any
) -> None:
    with_database(settings, migrated_database)
    with _pair(settings, own_redis_server, embedder) as pair:
        assert httpx.get(f"{pair.a.url}/readyz").status_code == 200
        own_redis_server.kill()
        response = wait_until(
            lambda: (r := httpx.get(f"{pair.a.url}/readyz")).status_code == 503 and r,
            timeout=20,
            what="not ready",
        )
        assert response.json()["checks"]["broker"] == "unreachable"
        own_redis_server.start()
        wait_until(
            lambda: httpx.get(f"{pair.a.url}/readyz").status_code == 200, timeout=20, what="ready"
        )
