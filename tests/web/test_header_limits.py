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
from frontdesk.web.bounded_http import HeadLimit
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
    assert answer == b"" or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), answer[:200]
    assert httpx.get(f"{parser_server.url}/healthz").status_code == 200


def test_a_head_dripped_in_small_pieces_is_refused_at_the_limit(
    parser_server: ServerThread,
) -> None:
    # Many small headers, each complete, sent a few at a time: the total is what counts.
    lines = [b"GET /healthz HTTP/1.1\r\nHost: x\r\n"]
    lines += [f"X-Filler-{i}: {'b' * 90}\r\n".encode() for i in range(200)]  # ~20 KB
    pieces = [b"".join(lines[i : i + 10]) for i in range(0, len(lines), 10)]
    answer = _answer(parser_server.port, [*pieces, b"\r\n"])
    # Cut off while it drips (400), or judged whole when the pieces came in one read (431).
    assert answer == b"" or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), answer[:200]


def test_a_whole_head_over_the_limit_in_one_write_is_refused(parser_server: ServerThread) -> None:
    filler = b"".join(f"X-Filler-{i}: {'c' * 90}\r\n".encode() for i in range(120))  # ~12 KB
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + filler + b"\r\n"
    answer = _answer(parser_server.port, [head])
    # 431 when it arrives in one read (as it does on loopback); 400 if the kernel split it.
    assert answer.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")), answer[:200]


async def test_head_limit_judges_the_whole_head() -> None:
    sent: list[dict[str, object]] = []
    reached: list[str] = []

    async def app(scope: object, receive: object, send: object) -> None:
        reached.append("app")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request"}

    limit = HeadLimit(app, max_head_bytes=1024)
    small = {"type": "http", "raw_path": b"/x", "query_string": b"", "headers": [(b"a", b"b")]}
    await limit(small, receive, send)
    assert reached == ["app"] and sent == []
    big = {**small, "headers": [(b"cookie", b"z" * 1024)]}
    await limit(big, receive, send)
    assert reached == ["app"] and sent[0]["status"] == 431
    assert b"headers_too_large" in sent[1]["body"]  # type: ignore[operator]
    await limit({**big, "type": "websocket"}, receive, send)
    assert sent[-1] == {"type": "websocket.close", "code": 1008}
