"""GET /api/v1/sources/{id}/pairs: a Q&A set's pairs, to edit them in the console."""

from __future__ import annotations

import httpx

from app_fixtures import Accounts, api_client, new_agent, sign_in
from support import ServerThread, wait_for_source

PAIRS = [
    {"question": "Do you price match?", "answer": "Yes, any local dealer's advertised price."},
    {"question": "Open on Sunday?", "answer": "No, we are closed on Sundays."},
]


def _qa(client: httpx.Client, agent_id: str, title: str = "FAQ") -> str:
    added = client.post(
        f"/api/v1/agents/{agent_id}/sources/qa", json={"title": title, "pairs": PAIRS}
    )
    assert added.status_code == 202, added.text
    return str(added.json()["id"])


def test_a_qa_set_gives_back_its_pairs_and_saving_them_again_replaces_it(
    client: httpx.Client,
) -> None:
    agent_id = new_agent(client)
    source_id = _qa(client, agent_id)
    got = client.get(f"/api/v1/sources/{source_id}/pairs")
    assert got.status_code == 200, got.text
    assert got.json() == {"source_id": source_id, "title": "FAQ", "pairs": PAIRS}
    edited = [PAIRS[0], {"question": "Open on Sunday?", "answer": "Yes, 10 to 2 in winter."}]
    again = client.post(
        f"/api/v1/agents/{agent_id}/sources/qa", json={"title": "FAQ", "pairs": edited}
    )
    assert again.json()["id"] == source_id
    assert wait_for_source(client, source_id)["status"] == "ready"
    assert client.get(f"/api/v1/sources/{source_id}/pairs").json()["pairs"] == edited


def test_only_a_qa_set_has_pairs(client: httpx.Client) -> None:
    agent_id = new_agent(client)
    files = {"file": ("hours.md", b"# Hours\n\nOpen 9 to 5.", "text/markdown")}
    [uploaded] = client.post(f"/api/v1/agents/{agent_id}/sources/files", files=files).json()
    refused = client.get(f"/api/v1/sources/{uploaded['id']}/pairs")
    assert refused.status_code == 409
    assert (
        refused.json()["error"]["message"]
        == "'hours.md' is not a Q&A set; only Q&A sets have pairs."
    )
    missing = client.get("/api/v1/sources/nope/pairs")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


def test_pairs_stay_in_their_workspace_and_members_may_read_them(
    server: ServerThread, accounts: Accounts, client: httpx.Client
) -> None:
    source_id = _qa(client, new_agent(client))
    other = accounts.workspace("Elsewhere")
    with api_client(server, accounts, other) as stranger:
        hidden = stranger.get(f"/api/v1/sources/{source_id}/pairs")
        assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")
    accounts.member("sam@ridgeline.test")
    sam = sign_in(server, "sam@ridgeline.test")  # a member of the agents role
    try:
        assert sam.get(f"/api/v1/sources/{source_id}/pairs").json()["pairs"] == PAIRS
    finally:
        sam.close()
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get(f"/api/v1/sources/{source_id}/pairs").status_code == 401
