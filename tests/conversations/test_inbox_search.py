"""The inbox for many chats: visitors named, previews without system notes, and search over
messages, notes and lead cards with the matches marked."""

from __future__ import annotations

import re
from typing import Any

import httpx

from app_fixtures import Accounts, api_client, new_agent
from support import ServerThread, wait_until

LEAD_FORM = {
    "name": "lead",
    "kind": "form",
    "title": "Leave your details",
    "fields": [
        {"name": "name", "type": "text"},
        {"name": "email", "type": "email"},
        {"name": "phone", "type": "phone", "required": True},
    ],
}


def _lead(
    client: httpx.Client, agent: dict[str, Any], visitor: Any, values: dict[str, str]
) -> None:
    settings = {"actions": [LEAD_FORM], "rules": {"collect": "lead"}}
    configured = client.patch(f"/api/v1/agents/{agent['id']}", json=settings)
    assert configured.status_code == 200, configured.text
    visitor.handoff()

    def offered() -> bool:
        return any(m["event"] == "form" for m in visitor.history()["messages"])

    wait_until(offered, timeout=30, what="the form")
    submitted = visitor.http.post(
        f"/api/v1/widget/conversations/{visitor.id}/forms/lead", json={"values": values}
    )
    assert submitted.status_code == 200, submitted.text


def _listed(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    listed = http.get("/api/v1/conversations", params={"status": "all"}).json()["conversations"]
    return next(c for c in listed if c["id"] == conversation_id)


def _search(http: httpx.Client, q: str) -> list[dict[str, Any]]:
    response = http.get("/api/v1/conversations/search", params={"q": q})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _marked(hit: dict[str, Any]) -> list[str]:
    return [hit["text"][start:end] for start, end in hit["marks"]]


def test_a_visitor_is_named_by_the_lead_else_a_stable_label(
    visitors, client: httpx.Client, agent: dict[str, Any]
) -> None:
    anonymous, named, emailed = visitors(), visitors(), visitors()
    first = _listed(client, anonymous.id)["visitor"]
    assert re.fullmatch(r"Visitor \d{4}", first["name"]) and first["label"] == first["name"]
    assert _listed(client, anonymous.id)["visitor"]["name"] == first["name"]
    assert _listed(client, named.id)["visitor"]["label"] != first["label"]
    _lead(client, agent, named, {"name": "Dana Reyes", "phone": "218-555-0142"})
    shown = _listed(client, named.id)["visitor"]
    assert (shown["name"], shown["email"]) == ("Dana Reyes", None)
    assert re.fullmatch(r"Visitor \d{4}", shown["label"])
    _lead(client, agent, emailed, {"email": "ola@example.test", "phone": "5550199"})
    assert _listed(client, emailed.id)["visitor"]["name"] == "ola@example.test"


def test_the_preview_is_never_a_system_note(visitors, member: httpx.Client) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    member.post(f"/api/v1/conversations/{visitor.id}/messages", json={"text": "On it"})
    assert member.post(f"/api/v1/conversations/{visitor.id}/close").status_code == 200
    conversation = _listed(member, visitor.id)
    assert conversation["last_message"]["author"] == "member"
    assert conversation["last_message"]["text"] == "On it"
    detail = member.get(f"/api/v1/conversations/{visitor.id}").json()
    assert detail["messages"][-1]["author"] == "system"


def test_search_finds_visitor_text_team_replies_notes_and_lead_fields(
    visitors, member: httpx.Client, client: httpx.Client, agent: dict[str, Any]
) -> None:
    asked, noted, lead = visitors(), visitors(), visitors()
    asked.send("Is the Grizzly 700 still in stock?")
    reply = {"text": "Yes, two Grizzly units on the floor"}
    member.post(f"/api/v1/conversations/{asked.id}/messages", json=reply)
    note = {"text": "Customer wants trade-in appraisal", "private": True}
    member.post(f"/api/v1/conversations/{noted.id}/messages", json=note)
    _lead(client, agent, lead, {"name": "Dana Reyes", "phone": "(218) 555-0142"})

    [found] = _search(member, "grizzly")
    assert found["conversation"]["id"] == asked.id
    authors = sorted(h["author"] for h in found["hits"])
    assert authors == ["member", "visitor"]
    assert all(_marked(h) == ["Grizzly"] for h in found["hits"])

    [found] = _search(member, "appraisal trade")
    assert found["conversation"]["id"] == noted.id and found["hits"][0]["private"] is True
    assert sorted(_marked(found["hits"][0])) == ["appraisal", "trade"]

    expected = {
        "2185550142": ["218) 555-0142"],
        "555-0142": ["555-0142"],
        "(218) 555": ["218", "555"],
        "+1 218.555.0142": ["218) 555-0142"],
    }
    for query, marked in expected.items():
        [found] = _search(member, query)
        assert found["conversation"]["id"] == lead.id, query
        [hit] = [h for h in found["hits"] if h["kind"] == "lead"]
        assert (hit["label"], hit["text"]) == ("Phone", "(218) 555-0142")
        assert _marked(hit) == marked, query
    [found] = _search(member, "reyes")
    assert found["conversation"]["visitor"]["name"] == "Dana Reyes"
    assert _search(member, "nothing-like-this") == []


def test_system_notes_and_ai_answers_are_not_searched(visitors, member: httpx.Client) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    member.post(f"/api/v1/conversations/{visitor.id}/takeover")
    assert _search(member, "took over") == []
    assert [r["conversation"]["id"] for r in _search(member, "financing")] == [visitor.id]


def test_search_validates_the_query(member: httpx.Client, server: ServerThread) -> None:
    for params in ({}, {"q": "ab"}, {"q": "  "}, {"q": "x" * 201}, {"q": "abc", "limit": 0}):
        response = member.get("/api/v1/conversations/search", params=params)
        assert response.status_code == 422, (params, response.text)
    short = member.get("/api/v1/conversations/search", params={"q": "a b"}).json()
    assert short["error"]["field"] == "q" and "3 characters" in short["error"]["message"]
    quoted = member.get("/api/v1/conversations/search", params={"q": '"grizzly" OR NEAR('})
    assert quoted.status_code == 200, quoted.text
    anonymous = httpx.get(f"{server.url}/api/v1/conversations/search", params={"q": "abc"})
    assert anonymous.status_code == 401


def test_search_stays_inside_the_workspace(
    visitors, client: httpx.Client, server: ServerThread, accounts: Accounts
) -> None:
    ours = visitors()
    ours.send("Where is my order KX-99417?")
    other_workspace = accounts.workspace("Elsewhere")
    with api_client(server, accounts, other_workspace) as other:
        theirs = visitors(
            public_key=other.get(f"/api/v1/agents/{new_agent(other)}").json()["public_key"]
        )
        theirs.send("My order KX-99417 too")
        assert [r["conversation"]["id"] for r in _search(other, "KX-99417")] == [theirs.id]
    assert [r["conversation"]["id"] for r in _search(client, "KX-99417")] == [ours.id]


def test_related_conversations_share_the_leads_email_or_phone(
    visitors, client: httpx.Client, member: httpx.Client, agent: dict[str, Any]
) -> None:
    first, again, by_phone, stranger = visitors(), visitors(), visitors(), visitors()
    _lead(
        client, agent, first, {"name": "Dana", "email": "Dana@Example.test", "phone": "2185550142"}
    )
    _lead(
        client, agent, again, {"name": "Dana R", "email": "dana@example.test", "phone": "5550000"}
    )
    _lead(client, agent, by_phone, {"name": "D", "phone": "(218) 555-0142"})
    _lead(client, agent, stranger, {"name": "Ola", "email": "ola@example.test", "phone": "5550143"})

    def related(conversation_id: str) -> list[str]:
        response = member.get(f"/api/v1/conversations/{conversation_id}/related")
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["conversations"]]

    assert sorted(related(first.id)) == sorted([again.id, by_phone.id])
    assert related(again.id) == [first.id]
    assert related(by_phone.id) == [first.id]
    assert related(stranger.id) == []
    assert member.get("/api/v1/conversations/cv_missing/related").status_code == 404


def test_related_conversations_stay_inside_the_workspace(
    visitors, client: httpx.Client, server: ServerThread, accounts: Accounts, agent: dict[str, Any]
) -> None:
    ours = visitors()
    _lead(client, agent, ours, {"name": "Dana", "phone": "2185550142"})
    with api_client(server, accounts, accounts.workspace("Elsewhere")) as other:
        their_agent = other.get(f"/api/v1/agents/{new_agent(other)}").json()
        theirs = visitors(public_key=their_agent["public_key"])
        _lead(other, their_agent, theirs, {"name": "Dana", "phone": "2185550142"})
        assert other.get(f"/api/v1/conversations/{theirs.id}/related").json()["conversations"] == []
        assert other.get(f"/api/v1/conversations/{ours.id}/related").status_code == 404
    assert client.get(f"/api/v1/conversations/{ours.id}/related").json()["conversations"] == []
