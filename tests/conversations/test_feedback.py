"""Visitor feedback over the widget API: thumbs on AI answers and CSAT once closed."""

from __future__ import annotations

import json
from typing import Any

import httpx
from websockets.sync.client import connect

from app_fixtures import Accounts
from support import ServerThread


def _rate(visitor: Any, seq: int, rating: str | None, cid: str | None = None) -> httpx.Response:
    path = f"/api/v1/widget/conversations/{cid or visitor.id}/messages/{seq}/feedback"
    return visitor.http.post(path, json={"rating": rating})


def _csat(visitor: Any, body: dict[str, Any], cid: str | None = None) -> httpx.Response:
    return visitor.http.post(f"/api/v1/widget/conversations/{cid or visitor.id}/csat", json=body)


def _detail(client: httpx.Client, cid: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/conversations/{cid}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _feedback_of(client: httpx.Client, cid: str, seq: int) -> str | None:
    [message] = [m for m in _detail(client, cid)["messages"] if m["seq"] == seq]
    feedback: str | None = message["feedback"]
    return feedback


def test_thumbs_on_an_ai_answer_can_change_and_clear(visitors, client) -> None:
    visitor = visitors()
    visitor.send("When is the service department open on Saturday?")
    [answer] = visitor.wait_for("ai")
    seq = answer["seq"]
    assert answer["feedback"] is None

    up = _rate(visitor, seq, "up")
    assert up.status_code == 200, up.text
    assert up.json() == {"seq": seq, "feedback": "up"}
    assert _feedback_of(client, visitor.id, seq) == "up"
    assert _rate(visitor, seq, "down").json()["feedback"] == "down"  # a change of mind
    assert _feedback_of(client, visitor.id, seq) == "down"
    [shown] = [m for m in visitor.history()["messages"] if m["seq"] == seq]
    assert shown["feedback"] == "down"
    assert _rate(visitor, seq, None).json() == {"seq": seq, "feedback": None}
    assert _feedback_of(client, visitor.id, seq) is None


def test_only_ai_answers_of_ones_own_conversation_can_be_rated(
    server: ServerThread, visitors, client
) -> None:
    visitor, other = visitors(), visitors()
    visitor.send("Do you offer financing?")
    [answer] = visitor.wait_for("ai")
    client.post(
        f"/api/v1/conversations/{visitor.id}/messages", json={"text": "note", "private": True}
    )
    assert _rate(visitor, 1, "up").status_code == 404  # the visitor's own message
    assert _rate(visitor, 99, "up").status_code == 404
    notes = [m for m in _detail(client, visitor.id)["messages"] if m["private"]]
    assert _rate(visitor, notes[0]["seq"], "up").status_code == 404
    assert _rate(other, answer["seq"], "up", cid=visitor.id).status_code == 404
    anonymous = httpx.post(
        f"{server.url}/api/v1/widget/conversations/{visitor.id}/messages/{answer['seq']}/feedback",
        json={"rating": "up"},
    )
    assert anonymous.status_code == 401, anonymous.text
    assert _rate(visitor, answer["seq"], "meh").status_code == 422
    assert (
        visitor.http.post(
            f"/api/v1/widget/conversations/{visitor.id}/messages/{answer['seq']}/feedback", json={}
        ).status_code
        == 422
    )
    assert _feedback_of(client, visitor.id, answer["seq"]) is None


def test_csat_is_taken_once_the_conversation_is_closed(visitors, client) -> None:
    visitor, other = visitors(), visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    early = _csat(visitor, {"score": 4})
    assert early.status_code == 409, early.text
    assert early.json()["error"]["code"] == "conflict"
    assert client.post(f"/api/v1/conversations/{visitor.id}/close").status_code == 200

    assert _csat(visitor, {"score": 0}).status_code == 422
    assert _csat(visitor, {"score": 6}).status_code == 422
    assert _csat(visitor, {"score": 3, "comment": "x" * 1001}).status_code == 422
    assert _csat(other, {"score": 5}, cid=visitor.id).status_code == 404

    rated = _csat(visitor, {"score": 2, "comment": "Slow"})
    assert rated.status_code == 200, rated.text
    assert (rated.json()["score"], rated.json()["comment"]) == (2, "Slow")
    again = _csat(visitor, {"score": 4, "comment": "  "})
    assert (again.json()["score"], again.json()["comment"]) == (4, None)
    csat = _detail(client, visitor.id)["conversation"]["csat"]
    assert csat["score"] == 4 and csat["comment"] is None and csat["submitted_at"]
    assert _detail(client, other.id)["conversation"]["csat"] is None


def test_the_inbox_socket_hears_feedback_and_csat(
    server: ServerThread, visitors, client, accounts: Accounts
) -> None:
    visitor = visitors()
    visitor.send("When is the service department open on Saturday?")
    [answer] = visitor.wait_for("ai")
    url = server.url.replace("http://", "ws://") + "/api/v1/inbox/ws"
    headers = {"Authorization": f"Bearer {accounts.api_key()}"}
    with connect(url, additional_headers=headers, max_queue=None) as inbox:

        def next_of(kind: str) -> dict[str, Any]:
            while True:
                frame: dict[str, Any] = json.loads(inbox.recv(timeout=30))
                if frame["type"] == kind:
                    return frame

        next_of("ready")
        _rate(visitor, answer["seq"], "down")
        updated = next_of("message.updated")
        assert updated["conversation_id"] == visitor.id
        assert updated["data"]["message"]["seq"] == answer["seq"]
        assert updated["data"]["message"]["feedback"] == "down"
        client.post(f"/api/v1/conversations/{visitor.id}/close")
        _csat(visitor, {"score": 5})
        while (frame := next_of("conversation.updated"))["data"]["changes"] != ["csat"]:
            pass
        assert frame["data"]["conversation"]["csat"]["score"] == 5
