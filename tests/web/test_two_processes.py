"""Two `frontdesk serve` processes on one database and one Redis: a visitor on A, a member on
B; handoff, reply and hand-back flow across; then A is killed with SIGKILL, the visitor
reconnects to B without losing or duplicating a message, and the member whose inbox was open
on A only goes offline once A's sockets expire."""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from app_fixtures import Accounts, api_client, new_agent, sign_in, with_database
from chat_fixtures import Visitor
from frontdesk.settings import Settings
from live_support import member_socket, next_frame
from processes import ServerProcess
from redis_server import RedisServer
from support import wait_until

pytestmark = [pytest.mark.live, pytest.mark.slow]

EXPIRY_S = 1.5


@pytest.fixture
def processes(
    settings: Settings, redis_server: RedisServer, migrated_database: Path, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess, Settings]]:
    with_database(settings, migrated_database)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "FRONTDESK_DATA_DIR": str(settings.data_dir),
        "FRONTDESK_REDIS_URL": redis_server.url,
        "FRONTDESK_PRESENCE_EXPIRY_S": str(EXPIRY_S),
        # Every process must encrypt with the same key (not one each, created on first use).
        "FRONTDESK_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        "FRONTDESK_LOG_LEVEL": "warning",
    }
    started: list[ServerProcess] = []
    try:
        started += [ServerProcess(env, tmp_path / f"{name}.log").launch() for name in "ab"]
        for server in started:  # started together: each takes a while to import and load
            wait_until(server.ready, timeout=120, what=f"{server.log.stem} to be ready")
        yield started[0], started[1], settings
    finally:
        for server in started:
            server.stop()


def _messages(socket: Any, until: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["text"] != until:
        frame = json.loads(socket.recv(timeout=30))
        if frame["type"] == "message":
            seen.append(frame["message"])
    return seen


def _widget(server: ServerProcess, token: str, after: int = 0) -> Any:
    return connect(
        server.url.replace("http://", "ws://") + f"/api/v1/widget/ws?token={token}&after={after}",
        max_queue=None,
    )


def _presence(server: ServerProcess, accounts: Accounts, member_id: str) -> str:
    with api_client(server, accounts) as http:
        members = http.get("/api/v1/members").json()["members"]
    return str(next(m["presence"] for m in members if m["id"] == member_id))


def test_a_conversation_flows_across_two_processes_and_survives_one_being_killed(
    processes: tuple[ServerProcess, ServerProcess, Settings],
) -> None:
    a, b, settings = processes
    accounts = Accounts(settings)
    sam = accounts.member("sam@ridgeline.test", name="Sam")
    with api_client(b, accounts) as api:
        agent_id = new_agent(api)
        public_key = api.get(f"/api/v1/agents/{agent_id}").json()["public_key"]
        visitor = Visitor(a, public_key)
        on_b = sign_in(b, "sam@ridgeline.test")
        on_a = sign_in(a, "sam@ridgeline.test")
        with (
            _widget(a, visitor.token) as widget,
            member_socket(b, on_b) as inbox_b,
            member_socket(a, on_a) as inbox_a,
        ):
            next_frame(inbox_b, "ready")
            next_frame(inbox_a, "ready")
            assert _presence(b, accounts, sam.id) == "online"

            # Handoff on A: the member's inbox on B hears it.
            assert visitor.handoff().status_code < 300
            while (
                next_frame(inbox_b, "conversation.updated")["data"]["conversation"]["status"]
                != "waiting"
            ):
                pass
            path = f"/api/v1/conversations/{visitor.id}/messages"
            assert on_b.post(path, json={"text": "Sam here, how can I help?"}).status_code == 201
            first = _messages(widget, "Sam here, how can I help?")
            visitor.send("Is the bike in stock?")
            while next_frame(inbox_b, "message.created")["data"]["message"]["author"] != "visitor":
                pass
            assert on_b.post(path, json={"text": "Yes, two of them."}).status_code == 201
            seen = first + _messages(widget, "Yes, two of them.")
            assert on_b.post(f"/api/v1/conversations/{visitor.id}/handback").status_code < 300
            while json.loads(widget.recv(timeout=30)) != {"type": "status", "status": "bot"}:
                pass
            last = seen[-1]["seq"]

            # A dies without a word: its sockets drop, nothing of it is left to close them.
            a.kill()
        for text in ("Still there?", "I reserved one for you."):
            assert on_b.post(path, json={"text": text}).status_code == 201
        # The visitor's widget reconnects to B from the last message it saw.
        with _widget(b, visitor.token, after=last) as widget:
            caught_up = _messages(widget, "I reserved one for you.")
        texts = [m["text"] for m in seen + caught_up if m["author"] in ("member", "visitor")]
        assert texts == [
            "Sam here, how can I help?",
            "Is the bike in stock?",
            "Yes, two of them.",
            "Still there?",
            "I reserved one for you.",
        ]
        seqs = [m["seq"] for m in seen + caught_up]
        assert seqs == sorted(set(seqs))  # in order, none twice
        # Sam's inbox on B closed with the block above and the one on A died with A: once A's
        # entry expires, B's sweep shows him offline.
        wait_until(
            lambda: _presence(b, accounts, sam.id) == "offline",
            timeout=10 * EXPIRY_S + 10,
            what="offline after A's sockets expired",
        )
        visitor.close()
        on_a.close()
        on_b.close()
