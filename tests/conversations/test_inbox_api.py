"""The team's conversation API: every transition, notes, filters, unread counts."""

from __future__ import annotations

from typing import Any

import httpx

from app_fixtures import Accounts
from support import ServerThread


def _post(http: httpx.Client, conversation_id: str, action: str, **body: Any) -> httpx.Response:
    return http.post(f"/api/v1/conversations/{conversation_id}/{action}", json=body or None)


def _detail(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    response = http.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _conflict(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"


def test_every_transition_and_its_system_event(
    visitors, member: httpx.Client, accounts: Accounts, server: ServerThread
) -> None:
    teammate = accounts.member("kim@ridgeline.test", name="Kim")
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    cid = visitor.id
    me = member.get("/api/v1/auth/me").json()["member"]

    _conflict(_post(member, cid, "handback"))
    _conflict(_post(member, cid, "reopen"))
    taken = _post(member, cid, "takeover").json()
    assert (taken["status"], taken["assignee_id"], taken["assignee_name"]) == (
        "human",
        me["id"],
        "Sam",
    )
    assert _post(member, cid, "handback").json()["status"] == "bot"
    assert _post(member, cid, "handback").status_code == 409
    closed = _post(member, cid, "close").json()
    assert closed["status"] == "closed"
    _conflict(_post(member, cid, "close"))
    _conflict(_post(member, cid, "takeover"))
    _conflict(_post(member, cid, "handback"))
    _conflict(member.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hello?"}))
    reopened = _post(member, cid, "reopen").json()
    assert (reopened["status"], reopened["waiting_since"] is not None) == ("waiting", True)
    assigned = _post(member, cid, "assign", member_id=teammate.id).json()
    assert (assigned["status"], assigned["assignee_name"]) == ("human", "Kim")
    unassigned = _post(member, cid, "assign", member_id=None).json()
    assert (unassigned["status"], unassigned["assignee_id"]) == ("waiting", None)
    missing = _post(member, cid, "assign", member_id="mem_nobody")
    assert missing.status_code == 404
    urgent = _post(member, cid, "priority", priority="urgent").json()
    assert urgent["priority"] == "urgent"
    assert _post(member, cid, "priority", priority="asap").status_code == 422

    events = [m["event"] for m in _detail(member, cid)["messages"] if m["author"] == "system"]
    assert events == ["takeover", "handback", "closed", "reopened", "assigned", "assigned"]
    texts = [m["text"] for m in _detail(member, cid)["messages"] if m["author"] == "system"]
    assert texts[0] == "Sam took over" and texts[-1] == "Sam unassigned the conversation"
    seqs = [m["seq"] for m in _detail(member, cid)["messages"]]
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_public_reply_takes_over_and_a_note_does_not(visitors, member: httpx.Client) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    note = member.post(
        f"/api/v1/conversations/{visitor.id}/messages",
        json={"text": "Check credit", "private": True},
    )
    assert note.status_code == 201
    assert _detail(member, visitor.id)["conversation"]["status"] == "bot"
    reply = member.post(
        f"/api/v1/conversations/{visitor.id}/messages", json={"text": "Hi, I'm Sam"}
    )
    assert reply.status_code == 201
    body = reply.json()
    assert (body["author"], body["author_name"], body["private"]) == ("member", "Sam", False)
    conversation = _detail(member, visitor.id)["conversation"]
    assert conversation["status"] == "human" and conversation["assignee_name"] == "Sam"
    visitor.send("Great, what rate can I get?")
    assert visitor.wait_for("member")[0]["text"] == "Hi, I'm Sam"
    # The visitor's last message was stored; the AI did not answer it (a person owns the chat).
    last = _detail(member, visitor.id)["messages"][-1]
    assert last["author"] == "visitor"


def test_an_api_key_cannot_take_over_but_can_assign(visitors, client, accounts: Accounts) -> None:
    kim = accounts.member("kim@ridgeline.test", name="Kim")
    visitor = visitors()
    response = _post(client, visitor.id, "takeover")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert _post(client, visitor.id, "assign", member_id=kim.id).json()["assignee_name"] == "Kim"


def test_list_filters_and_sort(visitors, member: httpx.Client, client, agent) -> None:
    calm, urgent, waiting = visitors(), visitors(), visitors()
    for visitor in (calm, urgent, waiting):
        visitor.send("Do you offer financing?")
        visitor.wait_for("ai")
    _post(member, urgent.id, "priority", priority="urgent")
    waiting.handoff()
    listed = member.get("/api/v1/conversations").json()["conversations"]
    order = [c["id"] for c in listed]
    assert order[:2] == [urgent.id, waiting.id] and calm.id in order
    assert listed[0]["last_message"]["author"] == "ai"

    def ids(**params: str) -> list[str]:
        response = member.get("/api/v1/conversations", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["conversations"]]

    assert ids(status="waiting") == [waiting.id]
    assert ids(priority="urgent") == [urgent.id]
    assert set(ids(agent_id=agent["id"])) == {calm.id, urgent.id, waiting.id}
    assert ids(agent_id="agt_other") == []
    _post(member, calm.id, "takeover")
    assert ids(assignee="me") == [calm.id]
    assert calm.id not in ids(assignee="none")
    _post(member, calm.id, "close")
    assert calm.id not in ids() and ids(status="closed") == [calm.id]
    assert calm.id in ids(status="all")
    assert member.get("/api/v1/conversations", params={"status": "asleep"}).status_code == 422
    assert member.get("/api/v1/conversations", params={"limit": 0}).status_code == 422


def test_unread_counts_follow_the_members_read_position(visitors, member: httpx.Client) -> None:
    visitor = visitors()
    visitor.handoff()
    visitor.send("Hello?")
    visitor.send("Anyone there?")

    def unread() -> int:
        [found] = [
            c
            for c in member.get("/api/v1/conversations").json()["conversations"]
            if c["id"] == visitor.id
        ]
        return int(found["unread"])

    assert unread() == 2
    last = _detail(member, visitor.id)["conversation"]["last_seq"]
    assert (
        member.post(f"/api/v1/conversations/{visitor.id}/read", json={"seq": last}).status_code
        == 204
    )
    assert unread() == 0
    visitor.send("Hello again")
    assert unread() == 1
    bad = member.post(f"/api/v1/conversations/{visitor.id}/read", json={"seq": -1})
    assert bad.status_code == 422


def test_bad_inbox_input(member: httpx.Client, visitors) -> None:
    visitor = visitors()
    url = f"/api/v1/conversations/{visitor.id}/messages"
    assert member.get("/api/v1/conversations/cv_missing").status_code == 404
    assert member.post("/api/v1/conversations/cv_missing/takeover").status_code == 404
    empty = member.post(url, json={"text": ""})
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "text"
    long = member.post(url, json={"text": "y" * 20_000})
    assert long.status_code == 422 and "limit" in long.json()["error"]["message"]
    assert member.post(url, json={"text": "hi", "private": "maybe"}).status_code == 422
