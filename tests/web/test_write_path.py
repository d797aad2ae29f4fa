"""Routes write one way, runtime.changes(), and only after every check that can come first.

On SQLite a write transaction starts with BEGIN IMMEDIATE: it holds the database's only write
lock. These tests count those statements on the server's own engine, per request: a request
refused for its token, origin, rate, role, password or body must not have taken the lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from websockets.sync.client import connect

from app_fixtures import Accounts, sign_in
from frontdesk.app import create_app
from frontdesk.cli.serve import server_options
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from live_support import next_frame
from support import ServerThread

# The request a database statement runs for: contextvars follow SQLAlchemy into its greenlet
# and into tasks the request starts (an AI reply is counted with the message that asked).
REQUEST: ContextVar[str | None] = ContextVar("request", default=None)
TAG = "x-test-request"
RATE = 2  # visitor messages per minute


class Tagged:
    """ASGI wrapper (test side only): the X-Test-Request header names the request's work."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        token = REQUEST.set(headers.get(TAG.encode(), b"").decode() or None)
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST.reset(token)


@dataclass
class Served:
    server: ServerThread
    accounts: Accounts
    locks: Counter[str | None]

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=30, **options)


@pytest.fixture
def served(tmp_path: Path, embedder: OnnxMiniLM) -> Iterator[Served]:
    settings = Settings(data_dir=tmp_path / "data", visitor_messages_per_minute=RATE)
    runtime = Runtime(settings, embedder=embedder)
    locks: Counter[str | None] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            locks[REQUEST.get()] += 1

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", count)
    app = Tagged(create_app(settings, runtime))
    with ServerThread(app, **{**server_options(settings), "log_level": "warning"}) as server:
        yield Served(server, Accounts(settings), locks)


def _call(
    served: Served, http: httpx.Client, name: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    headers = {**kwargs.pop("headers", {}), TAG: name}
    return http.request(method, url, headers=headers, **kwargs)


@pytest.mark.sqlite  # SQLite's one write lock
def test_refused_requests_never_take_the_write_lock(served: Served) -> None:
    key = served.accounts.api_key()
    admin = served.client(headers={"Authorization": f"Bearer {key}"})
    served.accounts.member("sam@ridgeline.test", name="Sam")
    member = sign_in(served.server, "sam@ridgeline.test")
    visitor = served.client()

    def call(http: httpx.Client, name: str, method: str, url: str, **kw: Any) -> int:
        return _call(served, http, name, method, url, **kw).status_code

    # Controls: the instrument sees the write lock of an accepted write, and only that.
    assert call(admin, "first use", "GET", "/api/v1/agents") == 200  # touches the key
    assert call(admin, "read", "GET", "/api/v1/agents") == 200
    created = _call(served, admin, "create", "POST", "/api/v1/agents", json={"name": "Ridge"})
    assert created.status_code == 201
    agent = created.json()
    shop = {"allowed_origins": ["https://shop.example"]}
    assert call(admin, "patch", "PATCH", f"/api/v1/agents/{agent['id']}", json=shop) == 200
    assert (served.locks["read"], served.locks["create"], served.locks["patch"]) == (0, 1, 1)

    started = _call(
        served,
        visitor,
        "start",
        "POST",
        f"/api/v1/widget/{agent['public_key']}/conversations",
        json={},
        headers={"Origin": "https://shop.example"},
    )
    assert started.status_code == 201
    conversation, token = started.json()["id"], started.json()["visitor_token"]
    messages = f"/api/v1/widget/conversations/{conversation}/messages"
    allowed = {"Origin": "https://shop.example", "X-Visitor-Token": token}
    for n in range(RATE):
        sent = call(visitor, f"send {n}", "POST", messages, json={"text": "hi"}, headers=allowed)
        assert sent == 201

    refused = {
        "a member who is no admin creates an agent": (
            call(member, "not admin", "POST", "/api/v1/agents", json={"name": "X"}),
            403,
        ),
        "an agent with a body that does not validate": (
            call(admin, "bad body", "POST", "/api/v1/agents", json={"name": ["X"]}),
            422,
        ),
        "an agent file that does not parse": (
            call(
                admin,
                "bad file",
                "POST",
                "/api/v1/agents/import",
                content=b"name: [unclosed",
                headers={"Content-Type": "application/yaml"},
            ),
            422,
        ),
        "a visitor message with a wrong token": (
            call(
                visitor,
                "bad token",
                "POST",
                messages,
                json={"text": "hi"},
                headers={**allowed, "X-Visitor-Token": "vt_wrong"},
            ),
            401,
        ),
        "a visitor message from a site not allowed": (
            call(
                visitor,
                "bad origin",
                "POST",
                messages,
                json={"text": "hi"},
                headers={**allowed, "Origin": "https://evil.example"},
            ),
            403,
        ),
        "a conversation started from a site not allowed": (
            call(
                visitor,
                "bad origin start",
                "POST",
                f"/api/v1/widget/{agent['public_key']}/conversations",
                json={},
                headers={"Origin": "https://evil.example"},
            ),
            403,
        ),
        "a visitor message over the rate": (
            call(visitor, "over rate", "POST", messages, json={"text": "hi"}, headers=allowed),
            429,
        ),
        "a handoff with a wrong token": (
            call(
                visitor,
                "bad token handoff",
                "POST",
                f"/api/v1/widget/conversations/{conversation}/handoff",
                headers={**allowed, "X-Visitor-Token": "vt_wrong"},
            ),
            401,
        ),
        "a password change with a wrong current password": (
            call(
                member,
                "wrong password",
                "POST",
                "/api/v1/auth/password",
                json={"current_password": "not it at all", "new_password": "a new long one 1"},
            ),
            422,
        ),
        "an invite accepted with a wrong token": (
            call(
                visitor,
                "bad invite",
                "POST",
                "/api/v1/auth/invites/inv_wrong",
                json={"name": "Eve", "password": "a long password 1"},
            ),
            404,
        ),
        "alert preferences set with an API key": (
            call(
                admin,
                "key prefs",
                "PATCH",
                "/api/v1/alerts/preferences",
                json={"email_alerts": False},
            ),
            403,
        ),
        "an invite sent by a member who is no admin": (
            call(member, "member invites", "POST", "/api/v1/invites", json={"email": "a@b.test"}),
            403,
        ),
    }
    statuses = {what: status for what, (status, _) in refused.items()}
    assert statuses == {what: expected for what, (_, expected) in refused.items()}
    names = [
        "not admin",
        "bad body",
        "bad file",
        "bad token",
        "bad origin",
        "bad origin start",
        "over rate",
        "bad token handoff",
        "wrong password",
        "bad invite",
        "key prefs",
        "member invites",
    ]
    assert {name: served.locks[name] for name in names} == dict.fromkeys(names, 0)
    for http in (admin, member, visitor):
        http.close()


@pytest.mark.usefixtures("database")
def test_visitor_writes_reach_an_open_inbox(served: Served) -> None:
    """Checked before the write, recorded inside it, published once it commits."""
    key = served.accounts.api_key()
    admin = served.client(headers={"Authorization": f"Bearer {key}"})
    agent = admin.post("/api/v1/agents", json={"name": "Ridge"}).json()
    url = served.server.url.replace("http://", "ws://") + "/api/v1/inbox/ws"
    with connect(
        url, additional_headers={"Authorization": f"Bearer {key}"}, max_queue=None
    ) as inbox:

        def until(kind: str) -> dict[str, Any]:
            return next_frame(inbox, kind)

        until("ready")
        visitor = served.client()
        started = visitor.post(f"/api/v1/widget/{agent['public_key']}/conversations", json={})
        conversation = started.json()["id"]
        assert until("conversation.created")["conversation_id"] == conversation
        visitor.headers["X-Visitor-Token"] = started.json()["visitor_token"]
        sent = visitor.post(
            f"/api/v1/widget/conversations/{conversation}/messages", json={"text": "hello"}
        )
        assert sent.status_code == 201
        created = until("message.created")["data"]["message"]
        assert (created["author"], created["text"]) == ("visitor", "hello")
        handoff = visitor.post(f"/api/v1/widget/conversations/{conversation}/handoff")
        assert handoff.status_code == 200
        while (update := until("conversation.updated"))["data"]["conversation"]["status"] != (
            handoff.json()["status"]
        ):
            pass
        assert update["conversation_id"] == conversation
        visitor.close()
    admin.close()
