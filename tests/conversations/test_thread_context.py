"""After a hand-back the AI reads the whole thread: the team's replies answer follow-ups."""

from __future__ import annotations

from typing import Any

import httpx

REPLY = "Your service order RO-5531 will be ready on Thursday after 3 pm at the Elm Street shop."
QUESTION = "when will my service order be ready?"


def _post(member: httpx.Client, conversation_id: str, action: str, **body: Any) -> Any:
    path = f"/api/v1/conversations/{conversation_id}/{action}"
    response = member.post(path, json=body) if body else member.post(path)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_the_ai_answers_from_a_team_reply_after_hand_back(agent, visitors, member) -> None:
    # Without the thread, the agent's knowledge knows nothing of service orders.
    stranger = visitors()
    stranger.send(QUESTION)
    [refused] = stranger.wait_for("ai")
    assert "Thursday" not in refused["text"]

    visitor = visitors()
    visitor.handoff()
    _post(member, visitor.id, "takeover")
    _post(
        member, visitor.id, "messages", text="Internal: customer owes $40 on parts.", private=True
    )
    _post(member, visitor.id, "messages", text=REPLY)
    _post(member, visitor.id, "handback")
    visitor.send(QUESTION)
    answers = visitor.wait_for("ai", 2)
    answer = answers[-1]
    assert "Thursday" in answer["text"]
    # The visitor sees the team's reply cited by its label only.
    labels = [c["label"] for c in answer["citations"]]
    assert "Sam (team reply in this conversation)" in labels
    # Private notes are never material for the AI (it could repeat them to the visitor).
    visitor.send("how much do I owe on parts?")
    last = visitor.wait_for("ai", 3)[-1]
    assert "$40" not in last["text"]
