"""`frontdesk serve --workers 2`: two server processes on one port and one Redis, on SQLite
(the processes take turns at its one writer) and on PostgreSQL.

Which process holds a connection is read from /proc (tests/processes.py), so the test knows
that both serve, that a visitor's message written through one reaches the inbox socket held by
the other, and which one to kill: killed with SIGKILL right after acknowledging messages, it
loses none of them, and uvicorn's supervisor starts a process in its place. Both processes
run the alert dispatcher, and each webhook still goes out once.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import ClientConnection

from app_fixtures import Accounts, api_client, new_agent, sign_in, with_database
from chat_fixtures import Visitor
from frontdesk.settings import Settings
from live_support import member_socket, next_frame
from processes import ServerProcess
from receiver import Receiver
from redis_server import RedisServer
from support import wait_until

pytestmark = [pytest.mark.live, pytest.mark.slow]

QUESTIONS = ("Is the bike in stock?", "Can I pick it up Saturday?", "Do you take trade-ins?")
REPLY = "Yes to all three."
PEOPLE = ("visitor", "member")  # what the visitor and the team wrote (not the AI, not notes)
METRICS_TOKEN = "scrape-me-please"


@pytest.fixture
def served(
    settings: Settings, redis_server: RedisServer, migrated_database: Path, tmp_path: Path
) -> Iterator[tuple[ServerProcess, Settings]]:
    with_database(settings, migrated_database)
    env = {
        "PYTHONPATH": os.pathsep.join(sys.path),
        "FRONTDESK_DATA_DIR": str(settings.data_dir),
        "FRONTDESK_REDIS_URL": redis_server.url,
        "FRONTDESK_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        "FRONTDESK_LOG_LEVEL": "warning",
        "FRONTDESK_METRICS_TOKEN": METRICS_TOKEN,
    }
    server = ServerProcess(env, tmp_path / "serve.log", args=("serve", "--workers", "2"))
    try:
        yield server.start(), settings
    finally:
        server.stop()


class Inbox:
    """A member's inbox socket and the messages it has shown so far."""

    def __init__(self, socket: ClientConnection):
        self.socket = socket
        self.messages: list[dict[str, Any]] = []

    def until(self, text: str) -> list[str]:
        """Read until the message ``text`` shows; what the visitor and the team wrote so far."""
        while not self.messages or self.messages[-1]["text"] != text:
            frame = next_frame(self.socket, "message.created")
            self.messages.append(frame["data"]["message"])
        return [m["text"] for m in self.messages if m["author"] in PEOPLE]

    def until_waiting(self) -> None:
        """Read until a conversation waits for a person (the handoff shows)."""
        status = None
        while status != "waiting":
            frame = next_frame(self.socket, "conversation.updated")
            status = frame["data"]["conversation"]["status"]


def _inbox_on_each(
    server: ServerProcess, member: httpx.Client, sockets: ExitStack
) -> dict[int, Inbox]:
    """Inbox sockets opened until each server process holds one (the kernel hands a new
    connection to whichever process accepts first; one still starting accepts none)."""
    held: dict[int, Inbox] = {}
    spare: list[ClientConnection] = []

    def one_more() -> bool:
        socket = sockets.enter_context(member_socket(server, member))
        next_frame(socket, "ready")
        pid = server.serving(socket.local_address[1])
        if pid is None or pid in held:
            spare.append(socket)
        else:
            held[pid] = Inbox(socket)
        return len(held) == 2

    wait_until(one_more, timeout=120, what="an inbox socket on each server process")
    for socket in spare:
        socket.close()
    return held


def _writer(server: ServerProcess, response: httpx.Response) -> int:
    """The server process that answered ``response`` (its connection is kept alive)."""
    client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    pid = server.serving(client_port)
    assert pid is not None
    return pid


def _again(client: httpx.Client) -> httpx.Client:
    """The same browser on a new connection (its cookies and headers kept)."""
    client.close()
    return httpx.Client(
        base_url=client.base_url, headers=client.headers, cookies=client.cookies, timeout=30
    )


def test_two_processes_on_one_port_serve_together_and_one_killed_loses_nothing(
    served: tuple[ServerProcess, Settings],
) -> None:
    server, settings = served
    accounts = Accounts(settings)
    accounts.member("sam@ridgeline.test", name="Sam")
    with api_client(server, accounts) as api:
        public_key = api.get(f"/api/v1/agents/{new_agent(api)}").json()["public_key"]
    sam = sign_in(server, "sam@ridgeline.test")
    sockets = ExitStack()
    inboxes = _inbox_on_each(server, sam, sockets)
    assert sorted(inboxes) == server.workers()  # both processes serve, each a socket

    visitor = Visitor(server, public_key)
    assert visitor.handoff().status_code < 300
    for inbox in inboxes.values():
        inbox.until_waiting()

    # The first message reaches the socket on the process that did not write it.
    first = visitor.send(QUESTIONS[0])
    assert first.status_code == 201, first.text
    [elsewhere] = [pid for pid in inboxes if pid != _writer(server, first)]
    assert inboxes[elsewhere].until(QUESTIONS[0]) == [QUESTIONS[0]]

    # The process that acknowledged the last of the others is killed at once.
    for text in QUESTIONS[1:]:
        sent = visitor.send(text)
        assert sent.status_code == 201, sent.text
    killed = _writer(server, sent)
    os.kill(killed, signal.SIGKILL)
    [survivor] = [pid for pid in inboxes if pid != killed]

    # The survivor's inbox shows every acknowledged message once, in order, and the reply
    # sent after the kill (a wake-up the killed process never published is caught up from
    # the database when the next event arrives). Connections to the killed process are gone:
    # the member's browser and the widget connect again.
    sam, visitor.http = _again(sam), _again(visitor.http)
    path = f"/api/v1/conversations/{visitor.id}/messages"
    assert sam.post(path, json={"text": REPLY}).status_code == 201
    assert inboxes[survivor].until(REPLY) == [*QUESTIONS, REPLY]
    seqs = [m["seq"] for m in inboxes[survivor].messages]
    assert seqs == sorted(set(seqs))
    texts = [m["text"] for m in visitor.history()["messages"] if m["author"] in PEOPLE]
    assert len(texts) == len(set(texts))
    assert texts == [*QUESTIONS, REPLY]

    # uvicorn's supervisor replaced the killed process.
    wait_until(
        lambda: len(server.workers()) == 2 and killed not in server.workers(),
        timeout=120,
        what="a new server process in place of the killed one",
    )
    assert json.loads(httpx.get(f"{server.url}/readyz", timeout=30).text)["ready"] is True
    sockets.close()
    visitor.close()
    sam.close()


def test_each_webhook_is_delivered_once_while_both_processes_send(
    served: tuple[ServerProcess, Settings],
) -> None:
    """Every process runs the alert dispatcher: both hear each event (through Redis), one
    queues it (the stored position is locked) and one sends it (claimed with a lease)."""
    server, settings = served
    accounts = Accounts(settings)
    with Receiver() as receiver, api_client(server, accounts) as api:
        allowed = api.put("/api/v1/workspace/allowed-hosts", json={"hosts": [receiver.host]})
        assert allowed.status_code == 200, allowed.text
        hook = api.post(
            "/api/v1/webhooks",
            json={"url": receiver.url("/hook"), "events": ["conversation.waiting"]},
        )
        assert hook.status_code == 201, hook.text
        public_key = api.get(f"/api/v1/agents/{new_agent(api)}").json()["public_key"]
        handoffs = 8
        for _ in range(handoffs):
            visitor = Visitor(server, public_key)  # a connection each: either process
            assert visitor.handoff().status_code < 300
            visitor.close()

        def all_delivered() -> list[dict[str, Any]] | None:
            path = f"/api/v1/webhooks/{hook.json()['id']}/deliveries"
            listed: list[dict[str, Any]] = api.get(path).json()["deliveries"]
            done = len(listed) == handoffs and all(d["status"] == "delivered" for d in listed)
            return listed if done else None

        deliveries = wait_until(all_delivered, timeout=60, what="every handoff delivered")
        # Recorded as delivered after it was sent: nothing is on its way any more.
        sent = [request.headers["webhook-id"] for request in receiver.requests]
        assert sorted(sent) == sorted(d["id"] for d in deliveries)
        assert all(d["attempts"] == 1 for d in deliveries)


def _requests_counted(exposition: str, route: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            wanted = {"method": "GET", "route": route, "status": "200"}
            if sample.name == "frontdesk_http_requests_total" and sample.labels == wanted:
                return sample.value
    return 0.0


def test_a_scrape_of_either_process_counts_the_requests_of_both(
    served: tuple[ServerProcess, Settings],
) -> None:
    server, settings = served
    auth = {"Authorization": f"Bearer {Accounts(settings).api_key()}"}
    answered: dict[int, int] = {}

    def one_more_request() -> bool:
        with httpx.Client(base_url=server.url, headers=auth, timeout=30) as http:  # a new
            response = http.get("/api/v1/agents")  # connection: either process takes it
            assert response.status_code == 200, response.text
            pid = _writer(server, response)
        answered[pid] = answered.get(pid, 0) + 1
        return len(answered) == 2

    wait_until(one_more_request, timeout=120, what="requests answered by each process")
    scraped: set[int] = set()

    def one_more_scrape() -> bool:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            response = http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            assert response.status_code == 200, response.text
            scraped.add(_writer(server, response))
        assert _requests_counted(response.text, "/api/v1/agents") == sum(answered.values())
        return len(scraped) == 2

    wait_until(one_more_scrape, timeout=120, what="a scrape answered by each process")
