"""The teams API: validation, roles, isolation, routing by tag, moving a conversation, and
the handoff summary the team reads first."""

from __future__ import annotations

from typing import Any

import httpx

from app_fixtures import Accounts, sign_in
from live_support import member_socket, next_frame
from support import ServerThread, wait_until

ACCIDENT = {"keywords": [{"phrase": "accident", "priority": "urgent", "tags": ["safety"]}]}


def _view(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    response = http.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _waiting(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        view: dict[str, Any] = _view(http, conversation_id)["conversation"]
        return view if view["status"] == "waiting" else None

    return wait_until(ready, timeout=30, what="the handoff")


def test_teams_are_validated_and_admin_only(
    server: ServerThread, client: httpx.Client, accounts: Accounts
) -> None:
    sam = accounts.member("sam@ridgeline.test", name="Sam")
    created = client.post("/api/v1/teams", json={"name": "  Service  ", "members": [sam.id]})
    assert created.status_code == 201, created.text
    team = created.json()
    assert (team["name"], [m["name"] for m in team["members"]]) == ("Service", ["Sam"])
    assert (team["auto_assign"], team["max_open"], team["online"]) == (False, 5, 0)

    duplicate = client.post("/api/v1/teams", json={"name": "service"})
    assert duplicate.status_code == 409
    assert "already a team called 'service'" in duplicate.json()["error"]["message"]
    unknown = client.post("/api/v1/teams", json={"name": "Parts", "members": ["mem_nobody"]})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["message"] == "There is no member 'mem_nobody'."
    bad_tag = client.post("/api/v1/teams", json={"name": "Parts", "route_tags": ["Two Words"]})
    assert bad_tag.status_code == 422 and "not a tag name" in bad_tag.json()["error"]["message"]
    zero = client.post("/api/v1/teams", json={"name": "Parts", "max_open": 0})
    assert zero.status_code == 422
    assert client.get("/api/v1/teams").json()["teams"][0]["id"] == team["id"]

    agent_role = sign_in(server, "sam@ridgeline.test")
    try:
        refused = agent_role.post("/api/v1/teams", json={"name": "Parts"})
        assert refused.status_code == 403
        assert agent_role.patch(f"/api/v1/teams/{team['id']}", json={}).status_code == 403
        assert [t["name"] for t in agent_role.get("/api/v1/teams").json()["teams"]] == ["Service"]
        # Presence is a person's; an API key has none.
        assert agent_role.put("/api/v1/me/presence", json={"status": "busy"}).status_code == 422
    finally:
        agent_role.close()
    assert client.put("/api/v1/me/presence", json={"status": "away"}).status_code == 403

    renamed = client.patch(f"/api/v1/teams/{team['id']}", json={"name": "Workshop"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Workshop"
    assert renamed.json()["members"][0]["id"] == sam.id  # left-out fields are kept

    other = accounts.workspace("Elsewhere")
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {accounts.api_key(other)}"}
    ) as stranger:
        assert stranger.get("/api/v1/teams").json()["teams"] == []
        assert stranger.patch(f"/api/v1/teams/{team['id']}", json={}).status_code == 404
        assert stranger.delete(f"/api/v1/teams/{team['id']}").status_code == 404
    assert client.delete(f"/api/v1/teams/{team['id']}").status_code == 204
    assert client.get("/api/v1/teams").json()["teams"] == []


def test_a_tag_routes_the_handoff_and_a_member_can_move_it(
    server: ServerThread,
    client: httpx.Client,
    member: httpx.Client,
    agent: dict[str, Any],
    visitors,
) -> None:
    assert client.patch(f"/api/v1/agents/{agent['id']}", json={"rules": ACCIDENT}).is_success
    service = client.post("/api/v1/teams", json={"name": "Service", "route_tags": ["safety"]})
    sales = client.post("/api/v1/teams", json={"name": "Sales"})
    assert service.status_code == sales.status_code == 201
    visitor = visitors()
    visitor.send("I had an accident with my new quad")
    view = _waiting(client, visitor.id)
    assert view["team"] == {"id": service.json()["id"], "name": "Service"}
    assert view["priority"] == "urgent"
    handoff = [m for m in _view(client, visitor.id)["messages"] if m["event"] == "handoff"]
    assert handoff[0]["payload"]["team_id"] == service.json()["id"]
    # Nobody in Service at all: the visitor hears the team is not online.
    texts = [m["text"] for m in _view(client, visitor.id)["messages"]]
    assert "Nobody in Service is online" in texts

    moved = client.post(
        f"/api/v1/conversations/{visitor.id}/team", json={"team_id": sales.json()["id"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["team"]["name"] == "Sales"
    assert "moved the conversation to Sales" in _view(client, visitor.id)["messages"][-1]["text"]
    assert (
        client.get("/api/v1/conversations", params={"team": sales.json()["id"]}).json()[
            "conversations"
        ][0]["id"]
        == visitor.id
    )
    missing = client.post(f"/api/v1/conversations/{visitor.id}/team", json={"team_id": "team_x"})
    assert missing.status_code == 404
    assert client.get("/api/v1/conversations", params={"team": "team_x"}).status_code == 404

    # Renaming the tag keeps the route; deleting it stops it.
    safety = next(t for t in client.get("/api/v1/tags").json()["tags"] if t["name"] == "safety")
    assert client.patch(f"/api/v1/tags/{safety['id']}", json={"name": "injury"}).is_success
    routes = {t["name"]: t["route_tags"] for t in client.get("/api/v1/teams").json()["teams"]}
    assert routes["Service"] == ["injury"]
    assert client.delete(f"/api/v1/tags/{safety['id']}").status_code == 204
    routes = {t["name"]: t["route_tags"] for t in client.get("/api/v1/teams").json()["teams"]}
    assert routes["Service"] == []

    # Deleting a team leaves its conversations with nobody in particular, live.
    with member_socket(server, member) as socket:
        next_frame(socket, "ready")
        assert client.delete(f"/api/v1/teams/{sales.json()['id']}").status_code == 204
        frame = next_frame(socket, "conversation.updated")
        assert frame["data"]["changes"] == ["team"]
        assert frame["data"]["conversation"]["team"] is None
    assert _view(client, visitor.id)["conversation"]["team"] is None

    # A team name in a rule is a name: blank is refused when the agent is saved.
    blank = {"keywords": [{"phrase": "loan", "team": "   "}]}
    refused = client.patch(f"/api/v1/agents/{agent['id']}", json={"rules": blank})
    assert refused.status_code == 422 and "team" in refused.text


def test_the_handoff_summary_says_what_the_visitor_wants_and_what_was_answered(
    client: httpx.Client, visitors
) -> None:
    visitor = visitors()
    visitor.send("When is the service department open?")
    wait_until(lambda: len(visitor.history()["messages"]) >= 2, timeout=30, what="the AI's answer")
    visitor.send("Can you hold a Glacier 850 for me until Saturday? I want to talk to someone")
    view = _waiting(client, visitor.id)
    summary = view["summary"]
    assert summary["by"] == "extractive"
    assert summary["wants"] == [
        "Can you hold a Glacier 850 for me until Saturday? I want to talk to someone"
    ]
    assert summary["answered"] == [
        {
            "question": "When is the service department open?",
            "answer": "The service department is open Tuesday to Friday from 8:00 to 17:30 "
            "and Saturday from 9:00 to 14:00.",
        }
    ]
    assert summary["text"].splitlines() == [
        "Wants: Can you hold a Glacier 850 for me until Saturday? I want to talk to someone",
        "AI answered: When is the service department open?",
    ]
