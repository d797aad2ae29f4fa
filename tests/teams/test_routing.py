"""Teams over a real server: a financing handoff reaches Finance and is assigned round-robin
among its online members within their limits; nobody online behaves as outside business
hours; presence is live; the inbox views by team and assignee."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app_fixtures import Accounts, sign_in
from live_support import member_socket, next_frame
from support import ServerThread, wait_until

FINANCING = {
    "name": "financing",
    "examples": [
        "what rate can I get",
        "what would my monthly payment be",
        "apply for a loan",
        "can I get pre-approved for financing",
    ],
    "tags": ["financing"],
    "team": "Finance",
}
ASK_FINANCING = "Can I get pre-approved for financing on a new quad?"


@pytest.fixture
def people(server: ServerThread, accounts: Accounts) -> Iterator[dict[str, Any]]:
    """Fiona and Felix (Finance) and Sam (not in it), each signed in."""
    found: dict[str, Any] = {}
    for name in ("Fiona", "Felix", "Sam"):
        member = accounts.member(f"{name.lower()}@ridgeline.test", name=name)
        found[name] = {"id": member.id, "http": sign_in(server, f"{name.lower()}@ridgeline.test")}
    yield found
    for person in found.values():
        person["http"].close()


@pytest.fixture
def finance(client: httpx.Client, agent: dict[str, Any], people: dict[str, Any]) -> dict[str, Any]:
    rules = {"topics": [FINANCING]}
    patched = client.patch(f"/api/v1/agents/{agent['id']}", json={"rules": rules})
    assert patched.status_code == 200, patched.text
    created = client.post(
        "/api/v1/teams",
        json={
            "name": "Finance",
            "members": [people["Fiona"]["id"], people["Felix"]["id"]],
            "auto_assign": True,
            "max_open": 1,
        },
    )
    assert created.status_code == 201, created.text
    team: dict[str, Any] = created.json()
    return team


def _conversation(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    response = http.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _handed_off(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        view: dict[str, Any] = _conversation(http, conversation_id)["conversation"]
        return view if view["status"] in ("waiting", "human") else None

    return wait_until(ready, timeout=30, what="the handoff")


def _online(server: ServerThread, http: httpx.Client, watcher: Any, member_id: str) -> Any:
    """Open ``http``'s inbox and wait until ``watcher`` sees that member online."""
    socket = member_socket(server, http)
    while True:
        frame = next_frame(watcher, "member.presence")
        if frame["data"]["member"]["id"] == member_id:
            assert frame["data"]["member"]["presence"] == "online"
            return socket


def _ids(http: httpx.Client, **params: Any) -> list[str]:
    response = http.get("/api/v1/conversations", params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["conversations"]]


def test_financing_goes_to_finance_round_robin_within_limits(
    server: ServerThread, client: httpx.Client, visitors, people, finance
) -> None:
    fiona, felix, sam = people["Fiona"], people["Felix"], people["Sam"]
    with member_socket(server, sam["http"]) as watcher:
        next_frame(watcher, "ready")
        with (
            _online(server, fiona["http"], watcher, fiona["id"]),
            _online(server, felix["http"], watcher, felix["id"]),
        ):
            first, second, third = visitors(), visitors(), visitors()
            assigned = []
            for visitor in (first, second, third):
                visitor.send(ASK_FINANCING)
                view = _handed_off(client, visitor.id)
                assert view["team"] == {"id": finance["id"], "name": "Finance"}
                assert view["handoff"]["trigger"] == "topic"
                assigned.append(view["assignee_id"])
            # One each (max_open 1), in the order they joined; the third waits for room.
            assert assigned == [fiona["id"], felix["id"], None]
            assert _conversation(client, third.id)["conversation"]["status"] == "waiting"
            notes = [m["text"] for m in _conversation(client, first.id)["messages"]]
            assert "Assigned to Fiona (Finance, round-robin)" in notes

            # The views: mine, my teams, unassigned.
            assert _ids(fiona["http"], assignee="me") == [first.id]
            assert set(_ids(felix["http"], team="mine")) == {first.id, second.id, third.id}
            assert _ids(sam["http"], team="mine") == []
            assert _ids(client, assignee="none", status="waiting") == [third.id]

            # Fiona closes hers: the waiting one is hers now.
            closed = fiona["http"].post(f"/api/v1/conversations/{first.id}/close")
            assert closed.status_code == 200, closed.text
            view = _conversation(client, third.id)["conversation"]
            assert (view["status"], view["assignee_id"]) == ("human", fiona["id"])

            # Fiona lets it go: it waits for someone to pick it, it does not bounce back.
            released = fiona["http"].post(
                f"/api/v1/conversations/{third.id}/assign", json={"member_id": None}
            )
            assert released.status_code == 200, released.text
            view = _conversation(client, third.id)["conversation"]
            assert (view["status"], view["assignee_id"]) == ("waiting", None)
            # Closed and reopened unassigned, it goes round-robin again (Felix is full).
            assert client.post(f"/api/v1/conversations/{third.id}/close").is_success
            assert client.post(f"/api/v1/conversations/{third.id}/reopen").is_success
            view = _conversation(client, third.id)["conversation"]
            assert (view["status"], view["assignee_id"]) == ("human", fiona["id"])

            # A question outside any team's topics goes to nobody in particular.
            other = visitors()
            other.send("I want to talk to a person")
            view = _handed_off(client, other.id)
            assert (view["team"], view["assignee_id"], view["status"]) == (None, None, "waiting")


def test_nobody_online_in_the_team_behaves_as_outside_business_hours(
    server: ServerThread, client: httpx.Client, visitors, people, finance
) -> None:
    fiona = people["Fiona"]
    visitor = visitors()
    visitor.send(ASK_FINANCING)
    view = _handed_off(client, visitor.id)
    assert (view["status"], view["assignee_id"]) == ("waiting", None)
    assert view["team"]["name"] == "Finance"
    detail = _conversation(client, visitor.id)
    texts = [(m["author"], m["text"]) for m in detail["messages"]]
    assert ("system", "Nobody in Finance is online") in texts
    told = [t for a, t in texts if a == "ai" and "Finance team isn't online" in t]
    assert len(told) == 1
    # The visitor is told too, in the widget.
    seen = [m["text"] for m in visitor.history()["messages"]]
    assert told[0] in seen

    # Fiona opens her inbox: the waiting conversation is assigned to her.
    with member_socket(server, fiona["http"]) as socket:
        next_frame(socket, "ready")

        def assigned() -> dict[str, Any] | None:
            current: dict[str, Any] = _conversation(client, visitor.id)["conversation"]
            return current if current["assignee_id"] else None

        current = wait_until(assigned, timeout=30, what="assignment once Fiona is online")
        assert (current["assignee_id"], current["status"]) == (fiona["id"], "human")


def test_away_members_get_no_new_chats_and_presence_is_live(
    server: ServerThread, client: httpx.Client, visitors, people, finance
) -> None:
    fiona, felix, sam = people["Fiona"], people["Felix"], people["Sam"]
    with member_socket(server, sam["http"]) as watcher:
        next_frame(watcher, "ready")
        with (
            _online(server, fiona["http"], watcher, fiona["id"]),
            _online(server, felix["http"], watcher, felix["id"]),
        ):
            away = fiona["http"].put("/api/v1/me/presence", json={"status": "away"})
            assert away.status_code == 200, away.text
            assert away.json() == {"member_id": fiona["id"], "presence": "away", "choice": "away"}
            frame = next_frame(watcher, "member.presence")
            assert frame["data"]["member"] == {
                "id": fiona["id"],
                "name": "Fiona",
                "presence": "away",
            }
            members = {
                m["id"]: m["presence"] for m in client.get("/api/v1/members").json()["members"]
            }
            assert (members[fiona["id"]], members[felix["id"]], members[sam["id"]]) == (
                "away",
                "online",
                "online",
            )
            team = client.get("/api/v1/teams").json()["teams"][0]
            assert team["online"] == 1

            visitor = visitors()
            visitor.send(ASK_FINANCING)
            assert _handed_off(client, visitor.id)["assignee_id"] == felix["id"]
        # Both inboxes closed: offline, live.
        gone = {next_frame(watcher, "member.presence")["data"]["member"]["id"] for _ in range(2)}
        assert gone == {fiona["id"], felix["id"]}
    members = {m["id"]: m["presence"] for m in client.get("/api/v1/members").json()["members"]}
    assert members[fiona["id"]] == members[felix["id"]] == "offline"
    # An away choice is remembered for the next time the inbox opens.
    with member_socket(server, fiona["http"]) as socket:
        next_frame(socket, "ready")
        frame = next_frame(socket, "member.presence")
        assert frame["data"]["member"]["presence"] == "away"


def _after_note(watcher: Any, conversation_id: str, text: str, updates: int) -> list[Any]:
    """The conversation's views in the ``updates`` conversation.updated frames after a note."""
    while True:
        message = next_frame(watcher, "message.created")["data"]["message"]
        if (message["conversation_id"], message["text"]) == (conversation_id, text):
            break
    views = []
    while len(views) < updates:
        data = next_frame(watcher, "conversation.updated")["data"]
        if data["conversation"]["id"] == conversation_id:
            views.append(data["conversation"])
    return views


def test_removing_a_member_puts_their_conversations_back_in_their_teams_queue(
    server: ServerThread, client: httpx.Client, visitors, people, finance
) -> None:
    fiona, felix, sam = people["Fiona"], people["Felix"], people["Sam"]
    with member_socket(server, sam["http"]) as watcher:
        next_frame(watcher, "ready")
        with (
            _online(server, fiona["http"], watcher, fiona["id"]),
            _online(server, felix["http"], watcher, felix["id"]),
        ):
            first = visitors()
            first.send(ASK_FINANCING)
            assert _handed_off(client, first.id)["assignee_id"] == fiona["id"]

            # Fiona is removed while Felix has room: hers is his at once, live (one update:
            # the removal and the round-robin happen in one transaction).
            assert client.delete(f"/api/v1/members/{fiona['id']}").status_code == 204
            detail = _conversation(client, first.id)
            view = detail["conversation"]
            assert (view["status"], view["assignee_id"]) == ("human", felix["id"])
            note = "API removed Fiona from the workspace"
            texts = [m["text"] for m in detail["messages"]]
            assert texts[-2:] == [note, "Assigned to Felix (Finance, round-robin)"]
            [assigned] = _after_note(watcher, first.id, note, updates=1)
            assert (assigned["status"], assigned["assignee_id"]) == ("human", felix["id"])

            # Felix is removed with nobody left online in Finance: it waits in the queue.
            second = visitors()
            second.send(ASK_FINANCING)
            assert _handed_off(client, second.id)["status"] == "waiting"  # Felix is full
            assert client.delete(f"/api/v1/members/{felix['id']}").status_code == 204
            queue = _ids(client, assignee="none", status="waiting", team=finance["id"])
            assert set(queue) == {first.id, second.id}
            note = "API removed Felix from the workspace"
            [waiting] = _after_note(watcher, first.id, note, updates=1)
            assert (waiting["status"], waiting["assignee_id"]) == ("waiting", None)
            assert waiting["team"] == {"id": finance["id"], "name": "Finance"}
