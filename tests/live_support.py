"""Inbox sockets for tests: open one as a signed-in member and read frames of a kind."""

from __future__ import annotations

import json
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from support import ServerThread


def open_socket(server: ServerThread, path: str, **options: Any) -> ClientConnection:
    """A socket to ``path`` on ``server`` that keeps reading frames the test has not read yet,
    so that closing it is answered at once (a client that stops reading after 16 unread
    frames, websockets' default, sees the server's close only after its 10 s timeout)."""
    return connect(server.url.replace("http://", "ws://") + path, **{"max_queue": None, **options})


def member_socket(
    server: ServerThread, member: httpx.Client, last_event_id: int | None = None
) -> ClientConnection:
    """The inbox socket a signed-in member's browser opens (their session cookie), resuming
    after ``last_event_id`` when given."""
    cookie = member.cookies.get("fd_session")
    resume = "" if last_event_id is None else f"?last_event_id={last_event_id}"
    return open_socket(
        server,
        "/api/v1/inbox/ws" + resume,
        additional_headers={"Cookie": f"fd_session={cookie}"},
        origin=server.url,
    )


def next_frame(socket: ClientConnection, kind: str, timeout: float = 30) -> dict[str, Any]:
    """The next frame of ``kind``, skipping others."""
    while True:
        frame: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
        if frame["type"] == kind:
            return frame
