"""Knowledge gaps through the API: grouped questions, and "add an answer" closing a gap."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from support import wait_for_source

BOATS = [
    "Do you sell pontoon boats?",
    "Can I buy a pontoon boat from you?",
    "Are pontoon boats for sale at your store?",
]
RENTALS = [
    "Can I rent a snowmobile for the weekend?",
    "Do you rent snowmobiles?",
    "Is snowmobile rental available?",
]
PARKING = "Where can I park when I visit?"
BOAT_ANSWER = "Yes, we sell Bennington pontoon boats from 18 to 25 feet, new and used."


def ask(visitor: Any, text: str) -> dict[str, Any]:
    assert visitor.send(text).status_code == 201
    [answer] = visitor.wait_for("ai")
    return answer


def gaps(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/insights", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["knowledge_gaps"]
    return found


def test_an_answer_added_from_a_gap_is_what_the_agent_says_next(
    client: httpx.Client, agent: dict[str, Any], visitors
) -> None:
    for text in [*BOATS, *RENTALS, PARKING]:
        visitor = visitors()
        ask(visitor, text)
        assert visitor.history()["status"] == "waiting"  # the AI could not answer

    found = gaps(client, agent_id=agent["id"])
    grouped = sorted((sorted(e["text"] for e in g["examples"]), g["count"]) for g in found)
    assert grouped == sorted([(sorted(BOATS), 3), (sorted(RENTALS), 3), ([PARKING], 1)])
    assert all(g["unanswered"] == g["count"] and not g["answered"] for g in found)
    [boats] = [g for g in found if g["question"] in BOATS]
    assert boats["agent_id"] == agent["id"] and boats["agent_name"] == "Ridgeline"

    body = {"agent_id": agent["id"], "question": boats["question"], "answer": BOAT_ANSWER}
    added = client.post("/api/v1/insights/gaps/answer", json=body)
    assert added.status_code == 202, added.text
    source = added.json()
    assert source["agent_name"] == "Ridgeline"
    assert source["title"] == boats["question"]  # what a visitor sees when it is cited
    assert wait_for_source(client, source["source_id"])["status"] == "ready"
    sources = client.get(f"/api/v1/agents/{agent['id']}/sources").json()
    assert source["source_id"] in [s["id"] for s in sources]
    # Answering the same question again replaces that answer instead of adding another.
    again = client.post("/api/v1/insights/gaps/answer", json=body)
    assert again.json()["source_id"] == source["source_id"]
    assert wait_for_source(client, source["source_id"])["status"] == "ready"

    marked = {g["question"]: g["answered"] for g in gaps(client, agent_id=agent["id"])}
    assert marked[boats["question"]] is True
    assert [answered for q, answered in marked.items() if q != boats["question"]] == [
        False,
        False,
    ]

    since = datetime.now(UTC).isoformat()
    visitor = visitors()
    reply = ask(visitor, boats["question"])
    assert "Bennington" in reply["text"]
    assert visitor.history()["status"] == "bot"  # answered, no handoff
    assert gaps(client, agent_id=agent["id"], **{"from": since}) == []


def test_adding_an_answer_checks_what_it_is_given(
    client: httpx.Client, agent: dict[str, Any]
) -> None:
    path = "/api/v1/insights/gaps/answer"
    good = {"agent_id": agent["id"], "question": "Q?", "answer": "A."}
    for change, field in [
        ({"answer": ""}, "answer"),
        ({"question": "x" * 2001}, "question"),
        ({"colour": "red"}, "colour"),
    ]:
        response = client.post(path, json={**good, **change})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == field
    missing = client.post(path, json={**good, "agent_id": "agt_missing"})
    assert missing.status_code == 404, missing.text
    blank = client.post(path, json={**good, "answer": "   "})
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "pairs.0"
