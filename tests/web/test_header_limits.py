"""Both HTTP parsers refuse a request line plus headers over max_header_kb, however it arrives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app_fixtures import with_database
from frontdesk.app import create_app
from frontdesk.cli.serve import server_options
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from support import ServerThread

KB = 1024
pytestmark = pytest.mark.live


@pytest.fixture(params=["httptools", "h11"])
def parser_server(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: OnnxMiniLM, migrated_database: Path
) -> Iterator[ServerThread]:
    # Configured as an operator would: 8 KB for the request line and headers.
    settings = with_database(
        Settings(data_dir=tmp_path / "data", max_header_kb=8, http_parser=request.param),
        migrated_database,
    )
    app = create_app(settings, Runtime(settings, embedder=embedder))
    with ServerThread(app, **{**server_options(settings), "log_level": "warning"}) as server:
        yield server


def _answer(port: int, pieces: list[bytes]) -> bytes:
    """Send ``pieces`` one write each on a plain socket; the server's answer (b"" if cut)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        answer = b""
        try:
            for piece in pieces:
                raw.sendall(piece)
            while chunk := raw.recv(65536):
                answer += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
        return answer


def test_a_head_within_the_limit_is_served(parser_server: ServerThread) -> None:
    cookie = "a" * (6 * KB)
    response = httpx.get(f"{parser_server.url}/healthz", headers={"Cookie": cookie})
    assert response.status_code == 200


def test_one_huge_header_is_refused(parser_server: ServerThread) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * (1024 * KB) + b"\r\n\r\n"
    answer = _answer(parser_server.port, [head])
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert httpx.get(f"{parser_server.url}/healthz").status_code == 200


def test_a_head_dripped_in_small_pieces_is_refused_at_the_limit(
    parser_server: ServerThread,
) -> None:
    # Many small headers, each complete, sent a few at a time: the total is what counts.
    lines = [b"GET /healthz HTTP/1.1\r\nHost: x\r\n"]
    lines += [f"X-Filler-{i}: {'b' * 90}\r\n".encode() for i in range(200)]  # ~20 KB
    pieces = [b"".join(lines[i : i + 10]) for i in range(0, len(lines), 10)]
    answer = _answer(parser_server.port, [*pieces, b"\r\n"])
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:200]
