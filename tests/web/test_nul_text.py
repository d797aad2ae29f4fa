"""Text with a NUL character: SQLite would store it, PostgreSQL refuses it in a text column
(and cannot compare a path id holding one). On both backends the API answers the same: a
4xx that says what is wrong, before anything is stored, never a 500 or a dropped connection
(issue 17: fuzzing on both backends; found on PostgreSQL)."""

from __future__ import annotations

from typing import Any

import httpx

NUL = "before\x00after"


def _says(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"], response.text


def test_a_nul_in_a_body_is_a_422_naming_the_field(
    client: httpx.Client, agent: dict[str, Any], visitors: Any
) -> None:
    visitor = visitors()
    _says(visitor.send(NUL), 422, "text: contains a NUL character")
    _says(client.post("/api/v1/agents", json={"name": NUL}), 422, "name: contains a NUL")
    _says(client.post("/api/v1/teams", json={"name": NUL}), 422, "name: contains a NUL")
    saved = {"shortcut": "nul", "title": "Hours", "text": NUL}
    _says(client.post("/api/v1/saved-replies", json=saved), 422, "text: contains a NUL")
    pairs = {"pairs": [{"question": "Hours?", "answer": NUL}]}
    qa = client.post(f"/api/v1/agents/{agent['id']}/sources/qa", json=pairs)
    _says(qa, 422, "pairs.0.answer: contains a NUL")
    reply = client.post(f"/api/v1/conversations/{visitor.id}/messages", json={"text": NUL})
    _says(reply, 422, "text: contains a NUL")

    assert visitor.history()["messages"] == []
    assert [a["name"] for a in client.get("/api/v1/agents").json()] == [agent["name"]]


def test_a_nul_in_a_url_is_a_422(client: httpx.Client, agent: dict[str, Any]) -> None:
    for url, params in (
        ("/api/v1/conversations/cv_1%00", None),
        (f"/api/v1/agents/{agent['id']}%00", None),
        ("/api/v1/conversations", {"q": NUL}),
        ("/api/v1/conversations", {"tag": NUL}),
        (f"/api/v1/agents/{agent['id']}/search", {"q": NUL}),
        (f"/api/v1/widget/{agent['public_key']}%00/config", None),
    ):
        _says(client.get(url, params=params), 422, "NUL character (%00)")
    assert client.get(f"/api/v1/agents/{agent['id']}").status_code == 200
