"""Inbox sockets for tests: open one as a signed-in member and read frames of a kind."""

from __future__ import annotations

import json
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from support import ServerThread


def member_socket(
    server: ServerThread, member: httpx.Client, last_event_id: int | None = None
) -> ClientConnection:
    """The inbox socket a signed-in member's browser opens (their session cookie), resuming
    after ``last_event_id`` when given."""
    cookie = member.cookies.get("fd_session")
    resume = "" if last_event_id is None else f"?last_event_id={last_event_id}"
    return connect(
        server.url.replace("http://", "ws://") + "/api/v1/inbox/ws" + resume,
        additional_headers={"Cookie": f"fd_session={cookie}"},
        origin=server.url,
    )


def next_frame(socket: ClientConnection, kind: str, timeout: float = 30) -> dict[str, Any]:
    """The next frame of ``kind``, skipping others."""
    while True:
        frame: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
        if frame["type"] == kind:
            return frame
