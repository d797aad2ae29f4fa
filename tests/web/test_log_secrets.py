"""No token, key, password or secret reaches the server's log, with the access log on."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app_fixtures import Accounts
from frontdesk.app import create_app
from frontdesk.cli.serve import server_options
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.logs import configure_logging, redact
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from support import ServerThread


@contextmanager
def product_logging(settings: Settings) -> Iterator[None]:
    """Logging set up exactly as `frontdesk serve` sets it up, undone afterwards.

    Entered inside the test, so its handler writes to the test's captured stderr.
    """
    names = ("", "httpx", "httpcore")
    levels = {name: logging.getLogger(name).level for name in names}
    handler = configure_logging(settings)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _ws(server: ServerThread, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def _frame(socket: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(socket.recv(timeout=30))
        if frame["type"] == kind:
            return frame


def _flow(server: ServerThread, accounts: Accounts) -> dict[str, str]:
    """Signs in, issues a key, invites, chats and stores a secret; returns what it created."""
    created = {"password": "pw-" + secrets.token_urlsafe(16)}
    accounts.member("owner@acme.test", created["password"], role="admin")
    with httpx.Client(base_url=server.url, timeout=30) as admin:
        login = admin.post(
            "/api/v1/auth/login", json={"email": "owner@acme.test", "password": created["password"]}
        )
        assert login.status_code == 200, login.text
        created["session"] = admin.cookies["fd_session"]
        created["csrf"] = login.json()["csrf_token"]
        admin.headers["X-CSRF-Token"] = created["csrf"]

        key = admin.post("/api/v1/apikeys", json={"name": "crm"})
        created["api_key"] = key.json()["key"]
        invite = admin.post("/api/v1/invites", json={"email": "new@acme.test"})
        link = urlsplit(invite.json()["url"])
        created["invite"] = link.path.rsplit("/", 1)[-1]

        value = "sv-" + secrets.token_urlsafe(16)
        created["secret"] = value
        stored = admin.put("/api/v1/secrets/CRM_TOKEN", json={"value": value})
        assert stored.status_code == 201, stored.text

    with httpx.Client(base_url=server.url, timeout=30) as newcomer:
        assert newcomer.get(link.path).status_code == 200  # the invite link, opened
        # The server decodes percent-escapes, so these spellings carry the same token.
        tail = created["invite"].removeprefix("inv_")
        created["invite_tail"] = tail
        for spelt in (f"inv%5F{tail}", f"%69nv_{tail}"):
            assert newcomer.get(f"/api/v1/auth/invites/{spelt}").status_code == 200
        assert newcomer.get(f"/api/v1/auth/invites/{created['invite']}").status_code == 200
        created["new_password"] = "np-" + secrets.token_urlsafe(16)
        accepted = newcomer.post(
            f"/api/v1/auth/invites/{created['invite']}",
            json={"name": "Nia", "password": created["new_password"]},
        )
        assert accepted.status_code == 200, accepted.text
        created["new_session"] = newcomer.cookies["fd_session"]

    auth = {"Authorization": f"Bearer {created['api_key']}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=auth) as api:
        agent = api.post("/api/v1/agents", json={"name": "Desk"}).json()
        # A careless client puts its key in the query: the line is logged, the key is not.
        api.get("/api/v1/agents", params={"api_key": created["api_key"]})

        started = api.post(f"/api/v1/widget/{agent['public_key']}/conversations", json={})
        conversation, token = started.json()["id"], started.json()["visitor_token"]
        created["visitor_token"] = token
        # An older widget sends its token in the URL, the current one in its first frame.
        with (
            connect(_ws(server, f"/api/v1/widget/ws?token={token}&after=0")) as old,
            connect(_ws(server, "/api/v1/widget/ws")) as new,
        ):
            new.send(json.dumps({"type": "hello", "token": token, "after": 0}))
            for socket in (old, new):
                assert _frame(socket, "status")["status"] == "bot"
            sent = api.post(
                f"/api/v1/widget/conversations/{conversation}/messages",
                json={"text": "Hello there", "client_id": "c1"},
                headers={"X-Visitor-Token": token},
            )
            assert sent.status_code in (200, 201, 202), sent.text
            for socket in (old, new):
                assert _frame(socket, "message")["message"]["text"] == "Hello there"
    return created


@pytest.mark.live
def test_no_secret_the_flow_creates_reaches_the_log(
    settings: Settings, embedder: OnnxMiniLM, capfd: pytest.CaptureFixture[str]
) -> None:
    with product_logging(settings):
        app = create_app(settings, Runtime(settings, embedder=embedder))
        with ServerThread(app, **server_options(settings)) as server:
            created = _flow(server, Accounts(settings))
    captured = capfd.readouterr()
    log = captured.out + captured.err

    # The access log was on and saw the URLs that carried the tokens.
    assert '"GET /inbox/invite/inv_[redacted] HTTP/1.1" 200' in log, log
    assert "/api/v1/auth/invites/inv_[redacted]" in log
    assert '"WebSocket /api/v1/widget/ws?token=[redacted]&after=0"' in log
    assert "/api/v1/agents?api_key=[redacted]" in log
    assert "/api/v1/secrets/CRM_TOKEN" in log
    for name, value in created.items():
        assert value not in log, f"the {name} is in the log"


def test_redact_hides_secret_query_values_and_our_tokens() -> None:
    token = "inv_" + secrets.token_urlsafe(32)
    assert redact(f"/inbox/invite/{token}") == "/inbox/invite/inv_[redacted]"
    assert redact("/x?a=1&visitor_token=vt_abc&after=3&X-Api-Key=k") == (
        "/x?a=1&visitor_token=[redacted]&after=3&X-Api-Key=[redacted]"
    )
    key = "fd_" + secrets.token_urlsafe(32)
    assert redact(f"Bearer {key}") == "Bearer fd_[redacted]"
    # Ordinary words and ids are left alone.
    assert (
        redact("/api/v1/agents/agt_1?monkey=3&after=4") == "/api/v1/agents/agt_1?monkey=3&after=4"
    )
    assert redact(redact(f"/ws?token={token}")) == "/ws?token=[redacted]"
    # Percent-escaped letters spell the same token (or key name) once the server decodes them.
    tail = token.removeprefix("inv_")
    assert redact(f"/inbox/invite/inv%5F{tail}") == "/inbox/invite/inv_[redacted]"
    assert redact(f"/inbox/invite/%69nv_{tail}") == "/inbox/invite/inv_[redacted]"
    assert redact("/x?%74oken=abc&q=a%20b%2Fc") == "/x?token=[redacted]&q=a%20b%2Fc"


def test_our_own_log_lines_and_tracebacks_are_redacted(
    settings: Settings, capfd: pytest.CaptureFixture[str]
) -> None:
    key = "fd_" + secrets.token_urlsafe(32)
    url = httpx.URL("https://crm.example/hook", params={"token": "t-" + secrets.token_hex(8)})
    with product_logging(settings):
        try:
            raise RuntimeError(f"rejected {key}")
        except RuntimeError:
            logging.getLogger("frontdesk.alerts").exception("calling %s failed", url)
    log = capfd.readouterr().err
    assert "ERROR frontdesk.alerts: calling https://crm.example/hook?token=[redacted]" in log
    assert "RuntimeError: rejected fd_[redacted]" in log
    assert key not in log and str(url.params["token"]) not in log


def test_the_widget_socket_takes_its_token_in_the_first_frame(
    server: ServerThread, visitors: Any
) -> None:
    visitor = visitors()
    question = "When is the service department open?"
    assert visitor.send(question, client_id="c1").status_code in (200, 201, 202)
    visitor.wait_for("ai")  # the conversation is quiet before the sockets resume from it
    with connect(_ws(server, "/api/v1/widget/ws")) as socket:
        socket.send(json.dumps({"type": "hello", "token": visitor.token, "after": 0}))
        first = json.loads(socket.recv(timeout=30))
        assert first["type"] == "message" and first["message"]["seq"] == 1  # the backlog
    with connect(_ws(server, "/api/v1/widget/ws")) as socket:
        last = max(m["seq"] for m in visitor.history()["messages"])
        socket.send(json.dumps({"type": "hello", "token": visitor.token, "after": last}))
        assert json.loads(socket.recv(timeout=30))["type"] == "status"  # resumed: nothing missed

    with connect(_ws(server, "/api/v1/widget/ws")) as socket:
        socket.send(json.dumps({"type": "typing", "typing": True}))
        refused = json.loads(socket.recv(timeout=30))
        assert refused["error"]["code"] == "invalid_visitor_token"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


@pytest.mark.live
def test_json_lines_carry_uvicorns_lines_too_and_no_secret(
    settings: Settings, embedder: OnnxMiniLM, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = settings.model_copy(update={"log_format": "json"})
    with product_logging(settings):
        app = create_app(settings, Runtime(settings, embedder=embedder))
        with ServerThread(app, **server_options(settings)) as server:
            created = _flow(server, Accounts(settings))
    captured = capfd.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    access = [r["message"] for r in records if r["logger"] == "uvicorn.access"]
    assert any('"GET /inbox/invite/inv_[redacted] HTTP/1.1" 200' in m for m in access), access
    assert any("/api/v1/agents?api_key=[redacted]" in m for m in access)
    log = captured.out + captured.err
    for name, value in created.items():
        assert value not in log, f"the {name} is in the log"
