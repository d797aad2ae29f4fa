"""An idle keep-alive connection stays open longer than clients keep theirs.

uvicorn closes an idle connection after 5 s, exactly when httpx (and browsers) stop reusing
theirs: a request sent at that moment met a closing connection (the soak's members saw
`httpx.ReadError`). Whether the server closed the connection is read from the socket.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from app_fixtures import with_database
from frontdesk.app import create_app
from frontdesk.cli.serve import server_options
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from support import ServerThread

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
CLIENT_IDLE_S = 5  # httpx's keepalive_expiry, and about what browsers keep


def _answer(raw: socket.socket) -> bytes:
    """One whole answer: its head, then as many bytes as its Content-Length says (a busy
    machine may hand them over in several reads)."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        more = raw.recv(65536)
        assert more, f"the server closed the connection mid-answer: {answer[:200]!r}"
        answer += more
    head, _, body = answer.partition(b"\r\n\r\n")
    lengths = [line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
    assert lengths, head
    length = int(lengths[0].split(b":", 1)[1])
    while len(body) < length:
        more = raw.recv(65536)
        assert more, f"the server closed the connection mid-body: {head[:200]!r}"
        body += more
    return answer


def _served_then_idle(port: int, wait_s: float) -> bytes | None:
    """Send one request, read its answer, then wait up to ``wait_s`` for anything more:
    b"" when the server closed the connection, None when it stayed open."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(REQUEST)
        answer = _answer(raw)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        raw.settimeout(wait_s)
        try:
            return raw.recv(65536)
        except TimeoutError:
            return None


@pytest.mark.live
def test_an_idle_connection_outlives_the_clients_own_expiry(server: ServerThread) -> None:
    assert _served_then_idle(server.port, CLIENT_IDLE_S + 1.5) is None


@pytest.mark.live
def test_the_keep_alive_is_the_operators_to_set(
    tmp_path: Path, embedder: OnnxMiniLM, migrated_database: Path
) -> None:
    settings = with_database(
        Settings(data_dir=tmp_path / "data", keep_alive_s=1), migrated_database
    )
    app = create_app(settings, Runtime(settings, embedder=embedder))
    with ServerThread(app, **{**server_options(settings), "log_level": "warning"}) as server:
        assert _served_then_idle(server.port, CLIENT_IDLE_S) == b""
