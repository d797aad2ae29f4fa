"""A socket whose client stops reading is closed with 4008 (resume) rather than buffered forever."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app_fixtures import Accounts
from frontdesk.events.broker import QUEUE_SIZE
from support import ServerThread

RESUME = 4008  # the close code that tells a client to reconnect from the last id it saw
TCP_WMEM = Path("/proc/sys/net/ipv4/tcp_wmem")
FRAME_FLOOR = 150  # bytes: a typing frame as the inbox receives it is about 200
BATCH = 500  # frames sent before the watching socket catches up; well under QUEUE_SIZE


def _frames_to_overflow() -> int:
    """More typing frames than the largest send buffer the kernel grants can hold, plus a queue.

    While the server's socket buffers take them its sends do not wait; only frames beyond
    those pile up in the subscription, so this many overflow it however the buffers are sized.
    """
    largest = int(TCP_WMEM.read_text().split()[2]) if TCP_WMEM.exists() else 4 * 1024 * 1024
    return QUEUE_SIZE + largest // FRAME_FLOOR


def test_an_inbox_that_stops_reading_is_told_to_resume(
    server: ServerThread, accounts: Accounts
) -> None:
    key = accounts.api_key()
    auth = {"Authorization": f"Bearer {key}"}
    agent = httpx.post(f"{server.url}/api/v1/agents", json={"name": "Busy"}, headers=auth)
    public_key = agent.json()["public_key"]
    conversation = httpx.post(f"{server.url}/api/v1/widget/{public_key}/conversations").json()
    typing = json.dumps({"type": "typing", "conversation_id": conversation["id"], "typing": True})
    url = server.url.replace("http://", "ws://") + "/api/v1/inbox/ws"

    # A client that reads nothing: a small receive buffer, no frames read ahead, and no
    # compression (alike frames would shrink to a few bytes each and never fill a buffer).
    quiet = socket.socket()
    quiet.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    quiet.connect(("127.0.0.1", server.port))
    with (
        connect(url, sock=quiet, additional_headers=auth, max_queue=1, compression=None) as slow,
        connect(url, additional_headers=auth) as watching,
    ):
        assert json.loads(slow.recv(timeout=30))["type"] == "ready"
        assert json.loads(watching.recv(timeout=30))["type"] == "ready"
        # An API key's typing reaches every inbox socket of the workspace, its own included.
        # The watching socket keeps up, so each batch has been published once it saw it.
        sent = 0
        while sent < _frames_to_overflow():
            for _ in range(BATCH):
                slow.send(typing)
            sent += BATCH
            for _ in range(BATCH):
                assert json.loads(watching.recv(timeout=30))["type"] == "typing"

        received = []
        try:
            while True:
                received.append(json.loads(slow.recv(timeout=30)))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == RESUME, closed
        assert received and {frame["type"] for frame in received} == {"typing"}
        assert len(received) < sent  # the rest were dropped, not buffered without end

        # The keeping-up socket was not cut off, and the slow client can come straight back.
        slow_again = connect(url, additional_headers=auth)
        with slow_again:
            assert json.loads(slow_again.recv(timeout=30))["type"] == "ready"
        watching.send(typing)
        assert json.loads(watching.recv(timeout=30))["type"] == "typing"
