"""An agent answering with the local model through the API, gated as every answer is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from frontdesk.answering.generators.local import LocalModel
from frontdesk.answering.pipeline import NOT_FOUND

QUESTION = "When is the service department open?"


def _gated(answer: dict[str, Any]) -> None:
    """Sent only at or above the threshold and with citations that back it; otherwise the
    refusal with a handoff, saying why (low confidence, or the grounding guard)."""
    if answer["answered"]:
        assert answer["confidence"] >= answer["threshold"]
        assert answer["citations"], "a model's answer is sent only with a valid citation"
        assert not answer["handoff"]["triggered"] and "[1]" not in answer["answer"]
    else:
        assert answer["answer"].startswith(NOT_FOUND)
        assert answer["handoff"]["trigger"] == "low_confidence" and not answer["citations"]
        reason = answer["handoff"]["reason"]
        if answer["confidence"] >= answer["threshold"]:
            assert "cites none" in reason or "which no cited passage" in reason, reason


def test_ask_and_a_visitor_conversation_answer_with_the_local_model(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    model_file: Path,
    packaged_model: LocalModel,  # loaded once for the run, shared with the server
) -> None:
    local = {
        "generator": "local",
        "generator_config": {"model_path": str(model_file), "max_tokens": 48},
    }
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=local).status_code == 200

    asked = client.post(f"/api/v1/agents/{agent['id']}/ask", json={"question": QUESTION})
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert answer["generator"] == "local" and answer["model"] == model_file.name
    assert answer["tokens"] == answer["prompt_tokens"] + answer["completion_tokens"] > 0
    _gated(answer)

    visitor = visitors()
    assert visitor.send(QUESTION).status_code == 201
    (reply,) = visitor.wait_for("ai")
    assert reply["text"] == answer["answer"]  # greedy decoding: the same reply, stored
    usage = client.get("/api/v1/usage").json()["current"]
    assert usage["ai_answers"] == 1 and usage["tokens"] == answer["tokens"]
    (by_model,) = usage["models"]
    assert (by_model["generator"], by_model["model"], by_model["answers"]) == (
        "local",
        model_file.name,
        1,
    )
    assert by_model["prompt_tokens"] == answer["prompt_tokens"]
