"""The public widget API over a real server: answers, idempotent sends, handoff, bad input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from frontdesk.conversations.waiting import WAIT_ACK
from support import ServerThread


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_a_question_gets_a_grounded_answer_with_citations(visitors) -> None:
    visitor = visitors()
    sent = visitor.send("When is the service department open on Saturday?")
    assert sent.status_code == 201, sent.text
    assert sent.json()["seq"] == 1 and sent.json()["author"] == "visitor"
    [answer] = visitor.wait_for("ai")
    assert answer["seq"] == 2
    assert "9:00 to 14:00" in answer["text"]
    # The visitor sees each source by its label; the evidence stays with the team.
    assert answer["citations"] and all(set(c) == {"label", "url"} for c in answer["citations"])
    assert answer["citations"][0]["label"]
    assert 0.4 <= answer["confidence"] <= 1
    assert visitor.history()["status"] == "bot"


def test_a_repeated_send_with_the_same_client_id_is_stored_once(visitors, client) -> None:
    visitor = visitors()
    first = visitor.send("Do you offer financing?", client_id="c-1")
    again = visitor.send("Do you offer financing?", client_id="c-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["seq"] == 1
    visitor.wait_for("ai")
    history = visitor.history()["messages"]
    assert [m["author"] for m in history] == ["visitor", "ai"]
    inbox = client.get(f"/api/v1/conversations/{visitor.id}").json()
    assert [m["client_id"] for m in inbox["messages"] if m["author"] == "visitor"] == ["c-1"]


def test_history_after_a_seq_returns_only_newer_messages(visitors) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    assert [m["seq"] for m in visitor.history(after=1)["messages"]] == [2]
    assert visitor.history(after=2)["messages"] == []


def test_an_unanswerable_question_hands_off_for_low_confidence(visitors, client) -> None:
    visitor = visitors()
    visitor.send("Can you repair the sonar on my fishing boat?")
    [answer] = visitor.wait_for("ai")
    assert "rather not guess" in answer["text"]
    conversation = client.get(f"/api/v1/conversations/{visitor.id}").json()
    assert conversation["conversation"]["status"] == "waiting"
    assert conversation["conversation"]["handoff"]["trigger"] == "low_confidence"
    notes = [m["text"] for m in conversation["messages"] if m["author"] == "system"]
    assert notes and notes[0].startswith("Handed off: low confidence")


def test_talk_to_a_person_hands_off_and_the_ai_stays_quiet(visitors, client, agent) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    handed = visitor.handoff()
    assert handed.status_code == 200 and handed.json() == {"status": "waiting"}
    assert visitor.handoff().json() == {"status": "waiting"}  # pressing twice changes nothing
    visible = visitor.history()
    assert visible["status"] == "waiting"
    assert visible["messages"][-1]["text"] == agent["handoff_message"]
    assert all(m["author"] != "system" for m in visible["messages"])

    detail = client.get(f"/api/v1/conversations/{visitor.id}").json()
    assert detail["conversation"]["handoff"] == {
        "trigger": "button",
        "reason": "visitor asked for a person",
    }
    system = [m for m in detail["messages"] if m["author"] == "system"]
    assert [m["text"] for m in system] == ["Handed off: visitor asked for a person"]

    quiet = visitor.send("Do you offer financing? Still there?").json()["seq"]
    client.post(f"/api/v1/conversations/{visitor.id}/assign", json={"member_id": None})
    assert client.post(f"/api/v1/conversations/{visitor.id}/handback").status_code == 200
    asked = visitor.send("When is the service department open?").json()["seq"]
    # The AI did not answer the visitor waiting for a person; it said once that one will.
    replies = visitor.wait_for("ai", count=4)
    after = [m for m in replies if m["seq"] > quiet]
    assert [m["seq"] for m in after] == [quiet + 1, asked + 1]
    assert after[0]["text"] == WAIT_ACK and not after[0]["rateable"]
    assert after[1]["rateable"]


def test_a_visitor_never_sees_notes_or_system_events(visitors, client) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    note = client.post(
        f"/api/v1/conversations/{visitor.id}/messages",
        json={"text": "VIP customer, be nice", "private": True},
    )
    assert note.status_code == 201 and note.json()["private"] is True
    reply = client.post(
        f"/api/v1/conversations/{visitor.id}/messages", json={"text": "Hi, Sam here."}
    )
    assert reply.status_code == 201
    texts = [m["text"] for m in visitor.history()["messages"]]
    assert "Hi, Sam here." in texts
    assert "VIP customer, be nice" not in texts
    assert all(m["author"] in ("visitor", "ai", "member") for m in visitor.history()["messages"])


def test_a_visitor_writing_in_a_closed_conversation_reopens_it_for_the_ai(visitors, client) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    assert client.post(f"/api/v1/conversations/{visitor.id}/close").json()["status"] == "closed"
    visitor.send("When is the service department open?")
    visitor.wait_for("ai", count=2)
    assert visitor.history()["status"] == "bot"


def test_a_visitor_token_opens_exactly_one_conversation(visitors) -> None:
    alice, bob = visitors(), visitors()
    bob.send("Do you offer financing?")
    stolen = alice.http.get(f"/api/v1/widget/conversations/{bob.id}/messages")
    _error(stolen, 404, "not_found")
    _error(alice.http.post(f"/api/v1/widget/conversations/{bob.id}/handoff"), 404, "not_found")
    posted = alice.http.post(f"/api/v1/widget/conversations/{bob.id}/messages", json={"text": "hi"})
    _error(posted, 404, "not_found")
    assert len(bob.history()["messages"]) >= 1


def test_bad_widget_input_gets_clear_errors(visitors, server: ServerThread, agent) -> None:
    visitor = visitors()
    url = f"/api/v1/widget/conversations/{visitor.id}/messages"
    assert _error(visitor.send(""), 422, "invalid")["field"] == "text"
    assert _error(visitor.send("   \n "), 422, "invalid")["field"] == "text"
    long = _error(visitor.send("x" * 20_000), 422, "invalid")
    assert long["field"] == "text" and "20,000" in long["message"]
    _error(visitor.send("hi", client_id="has spaces"), 422, "invalid")
    bad_json = visitor.http.post(
        url, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    _error(bad_json, 400, "malformed_json")
    with httpx.Client(base_url=server.url) as anonymous:
        _error(anonymous.post(url, json={"text": "hi"}), 401, "invalid_visitor_token")
        wrong = anonymous.post(url, json={"text": "hi"}, headers={"X-Visitor-Token": "vt_nope"})
        _error(wrong, 401, "invalid_visitor_token")
        _error(anonymous.get("/api/v1/widget/pk_unknown/config"), 404, "not_found")
        _error(anonymous.post("/api/v1/widget/pk_unknown/conversations", json={}), 404, "not_found")
    unknown = visitor.http.get("/api/v1/widget/conversations/cv_unknown/messages")
    _error(unknown, 404, "not_found")
    _error(visitor.http.get(url, params={"after": -1}), 422, "invalid")


def test_allowed_origins_are_enforced(client, server: ServerThread, visitors, agent) -> None:
    patched = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"allowed_origins": ["https://Shop.example.com/"]}
    )
    assert patched.status_code == 200 and patched.json()["allowed_origins"] == [
        "https://shop.example.com"
    ]
    bad = client.patch(f"/api/v1/agents/{agent['id']}", json={"allowed_origins": ["ftp://x"]})
    _error(bad, 422, "invalid")
    key = agent["public_key"]
    with httpx.Client(base_url=server.url, headers={"Origin": "https://evil.example"}) as evil:
        refused = evil.post(f"/api/v1/widget/{key}/conversations", json={})
        assert "shop.example.com" not in _error(refused, 403, "origin_not_allowed")["message"]
        assert refused.headers["access-control-allow-origin"] == "https://evil.example"
        _error(evil.get(f"/api/v1/widget/{key}/config"), 403, "origin_not_allowed")
    shop = visitors(origin="https://shop.example.com")
    assert shop.send("Do you offer financing?").status_code == 201
    with httpx.Client(base_url=server.url) as http:
        preflight = http.options(
            f"/api/v1/widget/conversations/{shop.id}/messages",
            headers={
                "Origin": "https://shop.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, x-visitor-token",
            },
        )
        assert preflight.status_code == 204
        assert "X-Visitor-Token" in preflight.headers["access-control-allow-headers"]
        stolen = http.get(
            f"/api/v1/widget/conversations/{shop.id}/messages",
            headers={"X-Visitor-Token": shop.token, "Origin": "https://evil.example"},
        )
        _error(stolen, 403, "origin_not_allowed")


def test_widget_config_carries_the_agent_theme(client, server: ServerThread, agent) -> None:
    client.patch(
        f"/api/v1/agents/{agent['id']}", json={"theme_color": "#aa3300", "position": "left"}
    )
    _error(
        client.patch(f"/api/v1/agents/{agent['id']}", json={"theme_color": "red"}), 422, "invalid"
    )
    with httpx.Client(base_url=server.url) as http:
        config = http.get(f"/api/v1/widget/{agent['public_key']}/config").json()
    assert config == {
        "agent_name": "Ridgeline",
        "greeting": agent["greeting"],
        "theme_color": "#aa3300",
        "position": "left",
    }


def test_concurrent_sends_each_get_their_own_seq(visitors, client) -> None:
    visitor = visitors()
    visitor.handoff()  # a person owns it: no AI replies interleave
    before = visitor.history()["messages"][-1]["seq"]
    texts = [f"message {n}" for n in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda t: visitor.send(t, client_id=t.replace(" ", "-")), texts))
        repeats = list(pool.map(lambda t: visitor.send(t, client_id=t.replace(" ", "-")), texts))
    assert {r.status_code for r in responses} == {201}
    assert {r.status_code for r in repeats} == {200}
    # +1: the system note; the first message stored gets the one "a teammate will reply".
    seqs = sorted(r.json()["seq"] for r in responses)
    first = before + 2
    assert seqs == [first, *range(first + 2, first + 1 + len(texts))]
    stored = [m for m in visitor.history(after=before)["messages"]]
    assert sorted(m["text"] for m in stored) == sorted([*texts, WAIT_ACK])
