"""A dealership agent with a little knowledge, and visitors talking to it over the widget API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app_fixtures import Accounts, sign_in
from support import ServerThread, wait_for_source, wait_until

FAQ = [
    {
        "question": "When is the service department open?",
        "answer": "The service department is open Tuesday to Friday from 8:00 to 17:30 "
        "and Saturday from 9:00 to 14:00.",
    },
    {
        "question": "Do you offer financing?",
        "answer": "Yes, we offer financing through Summit Credit Union with terms "
        "from 24 to 72 months.",
    },
]


@pytest.fixture
def agent(client: httpx.Client) -> dict[str, Any]:
    created = client.post("/api/v1/agents", json={"name": "Ridgeline"})
    assert created.status_code == 201, created.text
    body = created.json()
    source = client.post(f"/api/v1/agents/{body['id']}/sources/qa", json={"pairs": FAQ})
    assert wait_for_source(client, source.json()["id"])["status"] == "ready"
    return body


class Visitor:
    """The widget's side of one conversation, spoken over the public API."""

    def __init__(self, server: ServerThread, public_key: str, origin: str | None = None):
        headers = {"Origin": origin} if origin else {}
        self.http = httpx.Client(base_url=server.url, timeout=30, headers=headers)
        started = self.http.post(f"/api/v1/widget/{public_key}/conversations", json={})
        assert started.status_code == 201, started.text
        self.id: str = started.json()["id"]
        self.token: str = started.json()["visitor_token"]
        self.http.headers["X-Visitor-Token"] = self.token

    def send(self, text: str, client_id: str | None = None) -> httpx.Response:
        body = {"text": text, "client_id": client_id or uuid.uuid4().hex}
        return self.http.post(f"/api/v1/widget/conversations/{self.id}/messages", json=body)

    def history(self, after: int = 0) -> dict[str, Any]:
        response = self.http.get(
            f"/api/v1/widget/conversations/{self.id}/messages", params={"after": after}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def handoff(self) -> httpx.Response:
        return self.http.post(f"/api/v1/widget/conversations/{self.id}/handoff")

    def wait_for(self, author: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until the visitor can see ``count`` messages by ``author``; return them."""

        def seen() -> list[dict[str, Any]] | None:
            found = [m for m in self.history()["messages"] if m["author"] == author]
            return found if len(found) >= count else None

        result: list[dict[str, Any]] = wait_until(seen, timeout=30, what=f"{count} {author}")
        return result

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def visitors(server: ServerThread, agent: dict[str, Any]) -> Iterator[Any]:
    opened: list[Visitor] = []

    def open_one(public_key: str | None = None, origin: str | None = None) -> Visitor:
        visitor = Visitor(server, public_key or agent["public_key"], origin)
        opened.append(visitor)
        return visitor

    yield open_one
    for visitor in opened:
        visitor.close()


@pytest.fixture
def member(server: ServerThread, accounts: Accounts) -> Iterator[httpx.Client]:
    """A signed-in team member (role agent) of the default workspace."""
    accounts.member("sam@ridgeline.test", name="Sam")
    http = sign_in(server, "sam@ridgeline.test")
    yield http
    http.close()
