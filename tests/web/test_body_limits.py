"""Request bodies are refused with 413 while they stream in, by route class, on a real server."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app_fixtures import Accounts, with_database
from frontdesk.app import create_app
from frontdesk.cli.serve import server_options
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from support import ServerThread

KB = 1024
MB = 1024 * KB
HUGE = 300 * MB
CHUNK = 64 * KB
# What may be in flight when the 413 arrives: the limit, the server's read buffer and the
# loopback socket buffers (a few MB each way). A body read in full would be 300 MB.
IN_FLIGHT = 32 * MB


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Every class a different size: public 64 KB, API 1 MB, Q&A 2 MB, uploads 4 MB + 1 MB.
    return Settings(data_dir=tmp_path / "data", max_upload_mb=2, max_upload_request_mb=4)


class Body:
    """``size`` bytes made on the fly (never held in memory), counting what was pulled."""

    def __init__(self, size: int, head: bytes = b'{"email": "a@b.test", "password": "'):
        self.size = size
        self.head = head
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        block = self.head + b"x" * (CHUNK - len(self.head))
        while self.sent < self.size:
            piece = block[: self.size - self.sent]
            self.sent += len(piece)
            yield piece
            block = b"x" * CHUNK


def rss() -> int:
    """Resident memory of this process, which runs the server in a thread."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def post_streamed(
    server: ServerThread, path: str, body: Body, *, declare: bool, **headers: str
) -> httpx.Response:
    extra = {"Content-Length": str(body.size)} if declare else {}
    with httpx.Client(base_url=server.url, timeout=60) as http:
        return http.post(
            path,
            content=iter(body),
            headers={"Content-Type": "application/json", **extra, **headers},
        )


def assert_too_large(response: httpx.Response, limit: str) -> dict[str, Any]:
    assert response.status_code == 413, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "too_large"
    assert limit in error["message"], error["message"]
    return error


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "content-length"])
def test_300_mb_to_the_public_routes_is_refused_before_it_is_read(
    server: ServerThread, agent: dict[str, Any], declare: bool
) -> None:
    before = rss()
    for path in ("/api/v1/auth/login", f"/api/v1/widget/{agent['public_key']}/conversations"):
        body = Body(HUGE)
        response = post_streamed(server, path, body, declare=declare)
        assert_too_large(response, "64 KB")
        assert body.sent < IN_FLIGHT, f"{body.sent / MB:.0f} MB sent to {path} before the 413"
    assert rss() - before < 64 * MB
    # The server is fine afterwards.
    assert httpx.get(f"{server.url}/healthz").status_code == 200


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "content-length"])
def test_300_mb_to_the_api_and_the_upload_route_is_refused_mid_stream(
    server: ServerThread, agent: dict[str, Any], accounts: Accounts, declare: bool
) -> None:
    auth = {"Authorization": f"Bearer {accounts.api_key()}"}
    before = rss()
    body = Body(HUGE, head=b'{"name": "')
    response = post_streamed(server, "/api/v1/agents", body, declare=declare, **auth)
    assert_too_large(response, "1 MB limit for API requests")
    assert body.sent < IN_FLIGHT

    boundary = "limit-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()
    body = Body(HUGE, head=head)
    response = post_streamed(
        server,
        f"/api/v1/agents/{agent['id']}/sources/files",
        body,
        declare=declare,
        **auth,
        **{"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_too_large(response, "5 MB limit for file uploads")
    assert body.sent < IN_FLIGHT
    assert rss() - before < 64 * MB


def test_just_over_the_limit_at_login_gets_413_naming_it(server: ServerThread) -> None:
    def login_body(size: int) -> bytes:
        head = b'{"email": "sam@ridgeline.test", "password": "'
        return head + b"x" * (size - len(head) - 2) + b'"}'

    with httpx.Client(base_url=server.url, timeout=30) as http:
        headers = {"Content-Type": "application/json"}
        at_limit = http.post("/api/v1/auth/login", content=login_body(64 * KB), headers=headers)
        assert at_limit.status_code in (401, 422), at_limit.text  # read and judged

        over = http.post("/api/v1/auth/login", content=login_body(64 * KB + 1), headers=headers)
        error = assert_too_large(over, "64 KB")
        assert error["message"] == (
            "The request body is larger than the 64 KB limit for widget and sign-in requests."
        )
        # Without a Content-Length the count stops it all the same.
        chunked = http.post(
            "/api/v1/auth/login", content=iter([login_body(64 * KB + 1)]), headers=headers
        )
        assert_too_large(chunked, "64 KB")


def test_each_route_class_has_its_own_limit(
    server: ServerThread, client: httpx.Client, agent: dict[str, Any]
) -> None:
    # A visitor's longest message fits the public limit.
    started = client.post(f"/api/v1/widget/{agent['public_key']}/conversations", json={})
    token = started.json()["visitor_token"]
    message = client.post(
        f"/api/v1/widget/conversations/{started.json()['id']}/messages",
        json={"text": "é" * 4000},
        headers={"X-Visitor-Token": token},
    )
    assert message.status_code in (200, 201, 202), message.text

    # Over the public limit but within the API's: admitted on the API, refused on the widget.
    padding = "x" * (200 * KB)
    assert client.post("/api/v1/agents", json={"name": padding}).status_code == 422
    refused = client.post(
        f"/api/v1/widget/{agent['public_key']}/conversations", json={"page_url": padding}
    )
    assert_too_large(refused, "64 KB")

    # Q&A sources may be as big as one upload (2 MB here), other API bodies 1 MB.
    answer = "y" * 20_001  # one over the schema's limit: read and judged, not ingested
    pairs = [{"question": f"q{i}", "answer": answer} for i in range(75)]  # ~1.5 MB
    qa = client.post(f"/api/v1/agents/{agent['id']}/sources/qa", json={"pairs": pairs})
    assert qa.status_code == 422, qa.text[:300]
    assert_too_large(client.post("/api/v1/agents", json={"name": "x", "pairs": pairs}), "1 MB")
    pairs *= 2  # ~3 MB
    too_big = client.post(f"/api/v1/agents/{agent['id']}/sources/qa", json={"pairs": pairs})
    assert_too_large(too_big, "2 MB limit for Q&A sources")


def test_an_upload_within_its_limit_still_works(
    server: ServerThread, client: httpx.Client, agent: dict[str, Any]
) -> None:
    # Two files near the per-file limit: 3.8 MB in one request, over every other class.
    blob = b"%PDF-1.4\n" + b"0" * (19 * MB // 10)
    files = [("file", ("a.pdf", blob, "application/pdf")), ("file", ("b.pdf", blob, "x"))]
    response = client.post(f"/api/v1/agents/{agent['id']}/sources/files", files=files)
    assert response.status_code == 202, response.text
    assert sorted(s["title"] for s in response.json()) == ["a.pdf", "b.pdf"]

    # One file over the per-file limit is still named by the route.
    big = b"%PDF-1.4\n" + b"0" * (2 * MB)
    over = client.post(
        f"/api/v1/agents/{agent['id']}/sources/files", files=[("file", ("c.pdf", big, "x"))]
    )
    assert over.status_code == 413 and "'c.pdf'" in over.json()["error"]["message"]


def test_multipart_plain_fields_are_bounded(
    server: ServerThread, client: httpx.Client, agent: dict[str, Any]
) -> None:
    response = client.post(
        f"/api/v1/agents/{agent['id']}/sources/files",
        data={"note": "z" * (32 * KB)},
        files=[("file", ("a.txt", b"hello", "text/plain"))],
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"


def test_socket_messages_are_bounded(server: ServerThread, accounts: Accounts) -> None:
    url = server.url.replace("http://", "ws://") + "/api/v1/inbox/ws"
    headers = {"Authorization": f"Bearer {accounts.api_key()}"}
    with connect(url, additional_headers=headers) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "ready"
        socket.send("[" + " " * (15 * KB) + "]")  # within 16 KB: read, and answered
        assert json.loads(socket.recv(timeout=10))["error"]["code"] == "bad_frame"
        socket.send("x" * (16 * KB + 1))
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big


def _raw_request(port: int, request: bytes) -> bytes:
    """Send ``request`` as it is on a plain socket; the server's whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.sendall(request)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
        return answer


def test_oversized_headers_are_refused(server: ServerThread) -> None:
    # The default limit is 32 KB for the request line and headers together (h11 judges what
    # is still incomplete after each read, so a header far over it is refused).
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * MB + b"\r\n\r\n"
    try:
        answer = _raw_request(server.port, request)
    except (ConnectionResetError, BrokenPipeError):
        answer = b"HTTP/1.1 400 (the server closed the connection mid-header)"
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert httpx.get(f"{server.url}/healthz").status_code == 200


@pytest.mark.live
def test_a_body_that_stalls_gets_408(
    tmp_path: Path, embedder: OnnxMiniLM, migrated_database: Path
) -> None:
    # Configured as an operator would: a client may pause 1 s while sending its body.
    settings = with_database(
        Settings(data_dir=tmp_path / "slow", body_idle_timeout_s=1), migrated_database
    )
    app = create_app(settings, Runtime(settings, embedder=embedder))
    with ServerThread(app, **server_options(settings)) as server:
        # Declares 100 bytes, sends 10, then waits for the answer without sending more.
        answer = _raw_request(
            server.port,
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n" + b'{"email": ',
        )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:300]
    assert json.loads(body)["error"]["code"] == "request_timeout"
