"""Usage over a real server: visitors talk through the widget API, the team reads /usage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app_fixtures import Accounts
from chat_fixtures import Visitor
from frontdesk.db.base import set_clock
from support import ServerThread

COUNTERS = ("conversations", "visitor_messages", "ai_answers", "tokens")


def _counts(month: dict[str, Any]) -> tuple[int, ...]:
    return tuple(month[name] for name in COUNTERS)


def _usage(client: httpx.Client, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/usage", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class Ticking:
    """A clock that starts at a chosen time and then runs at the real pace."""

    def __init__(self, start: datetime):
        self.set(start)

    def set(self, start: datetime) -> None:
        self.offset = start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> Iterator[Ticking]:
    ticking = Ticking(datetime(2026, 1, 31, 23, 55, tzinfo=UTC))
    set_clock(ticking)
    try:
        yield ticking
    finally:
        set_clock(None)


def test_conversations_messages_and_ai_answers_are_counted_once(visitors, client) -> None:
    visitor = visitors()
    assert visitor.send("Do you offer financing?", client_id="c-1").status_code == 201
    assert visitor.send("Do you offer financing?", client_id="c-1").status_code == 200  # resent
    visitor.wait_for("ai", 1)
    assert visitor.send("When is the service department open on Saturday?").status_code == 201
    visitor.wait_for("ai", 2)
    # "Talk to a person" shows the canned handoff message: the visitor sees it, it is no answer.
    assert visitor.handoff().status_code == 200
    visitor.wait_for("ai", 3)
    assert visitor.send("Thanks, I will wait").status_code == 201  # a person owns it now
    visitors()  # a second conversation that says nothing

    usage = _usage(client)
    # The extractive generator uses no tokens.
    assert _counts(usage["current"]) == (2, 3, 2, 0)
    assert usage["months"][0] == usage["current"]
    assert _counts(usage["totals"]) == (2, 3, 2, 0)
    assert len(usage["months"]) == 12 and usage["to"] == usage["current"]["month"]
    assert usage["from"] == usage["months"][-1]["month"]
    assert all(_counts(m) == (0, 0, 0, 0) for m in usage["months"][1:])


def test_each_workspace_counts_only_its_own(
    visitors, client, server: ServerThread, accounts: Accounts
) -> None:
    other = accounts.workspace("Harbor Marine")
    headers = {"Authorization": f"Bearer {accounts.api_key(other)}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=headers) as harbor:
        created = harbor.post("/api/v1/agents", json={"name": "Harbor"})
        assert created.status_code == 201, created.text
        theirs = Visitor(server, created.json()["public_key"])
        try:
            theirs.send("Can you winterize my outboard?")
            theirs.wait_for("ai")
            ours = visitors()
            ours.send("Do you offer financing?")
            ours.wait_for("ai")
            ours.send("Great, thanks")
            ours.wait_for("ai", 2)
            assert _counts(_usage(harbor)["current"]) == (1, 1, 1, 0)
            assert _counts(_usage(client)["current"]) == (1, 2, 2, 0)
        finally:
            theirs.close()


def test_counts_survive_deleting_the_agent_and_its_conversations(visitors, client, agent) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    assert client.delete(f"/api/v1/agents/{agent['id']}").status_code == 204
    assert client.get(f"/api/v1/conversations/{visitor.id}").status_code == 404
    assert _counts(_usage(client)["current"]) == (1, 1, 1, 0)


def test_usage_lands_in_the_utc_month_it_happened(visitors, client, clock: Ticking) -> None:
    visitor = visitors()  # 2026-01-31 23:55 UTC
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    clock.set(datetime(2026, 2, 1, tzinfo=UTC) + timedelta(seconds=1))
    visitor.send("When is the service department open on Saturday?")
    visitor.wait_for("ai", 2)

    usage = _usage(client, **{"from": "2025-12", "to": "2026-02"})
    assert [m["month"] for m in usage["months"]] == ["2026-02", "2026-01", "2025-12"]
    assert [_counts(m) for m in usage["months"]] == [(0, 1, 1, 0), (1, 1, 1, 0), (0, 0, 0, 0)]
    assert _counts(usage["totals"]) == (1, 2, 2, 0)
    assert usage["current"]["month"] == "2026-02"
    assert _usage(client)["months"][-1]["month"] == "2025-03"  # twelve months by default


def test_any_member_reads_usage_and_strangers_do_not(member, server: ServerThread) -> None:
    assert member.get("/api/v1/usage").status_code == 200
    anonymous = httpx.get(f"{server.url}/api/v1/usage")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"from": "2026-13"}, "from", "YYYY-MM"),
        ({"to": "January"}, "to", "YYYY-MM"),
        ({"to": "0000-05"}, "to", "YYYY-MM"),
        ({"to": "2026-05\n"}, "to", "YYYY-MM"),
        ({"from": "2026-03", "to": "2026-02"}, "from", "after"),
        ({"from": "1990-01", "to": "2026-02"}, "from", "at most 120"),
    ],
)
def test_bad_months_answer_422_with_a_message(
    client, params: dict[str, str], field: str, says: str
) -> None:
    response = client.get("/api/v1/usage", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and says in error["message"]
