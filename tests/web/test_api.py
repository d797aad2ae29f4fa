"""The REST API over a real server: agents CRUD, sources, ask, and every error path."""

from __future__ import annotations

import httpx
import pytest

from httpserver import LocalSite
from support import wait_for_source

SERVICE = b"""# Service department

## Hours
The service department is open Tuesday to Friday from 8:00 to 17:30 and on Saturday
from 9:00 to 14:00. It is closed on Sunday and Monday.
"""

INVENTORY = b"""Model,Type,Price
Glacier 850,Snowmobile,"$12,999"
Trailhawk 570,ATV,"$8,499"
"""


def _agent(client: httpx.Client, name: str = "Dealer") -> dict:
    response = client.post("/api/v1/agents", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()


def _error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def test_agent_crud(client: httpx.Client) -> None:
    agent = _agent(client)
    assert agent["public_key"].startswith("pk_")
    assert client.get(f"/api/v1/agents/{agent['id']}").json()["name"] == "Dealer"
    assert [a["id"] for a in client.get("/api/v1/agents").json()] == [agent["id"]]
    patched = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"greeting": "Howdy!", "confidence_threshold": 0.6}
    ).json()
    assert patched["greeting"] == "Howdy!" and patched["confidence_threshold"] == 0.6
    _error(client.post("/api/v1/agents", json={"name": "Dealer"}), 409, "conflict")
    assert client.delete(f"/api/v1/agents/{agent['id']}").status_code == 204
    _error(client.get(f"/api/v1/agents/{agent['id']}"), 404, "not_found")


def test_upload_ingests_in_background_then_answers(client: httpx.Client) -> None:
    agent = _agent(client)
    response = client.post(
        f"/api/v1/agents/{agent['id']}/sources/files",
        files=[
            ("file", ("service.md", SERVICE, "text/markdown")),
            ("file", ("inventory.csv", INVENTORY, "text/csv")),
        ],
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert [s["status"] for s in accepted] == ["queued", "queued"]
    final = [wait_for_source(client, s["id"]) for s in accepted]
    assert [s["status"] for s in final] == ["ready", "ready"]
    assert all(s["chunk_count"] > 0 and s["content_hash"] for s in final)
    listed = client.get(f"/api/v1/agents/{agent['id']}/sources").json()
    assert {s["title"] for s in listed} == {"service.md", "inventory.csv"}

    answer = client.post(
        f"/api/v1/agents/{agent['id']}/ask", json={"question": "How much is the Glacier 850?"}
    ).json()
    assert "$12,999" in answer["answer"]
    assert {"source", "title", "snippet"} <= set(answer["citations"][0])
    assert answer["handoff"] == {
        "triggered": False,
        "trigger": None,
        "reason": None,
        "priority": None,
        "tags": [],
        "collect": None,
        "team": None,
    }
    refusal = client.post(
        f"/api/v1/agents/{agent['id']}/ask", json={"question": "Who won the 1998 World Cup?"}
    ).json()
    assert refusal["handoff"]["triggered"] and refusal["citations"] == []


def test_qa_source_resync_and_delete(client: httpx.Client) -> None:
    agent = _agent(client)
    body = {
        "title": "FAQ",
        "pairs": [
            {
                "question": "Do you price match?",
                "answer": "Yes, we match any local dealer's advertised price.",
            }
        ],
    }
    source = client.post(f"/api/v1/agents/{agent['id']}/sources/qa", json=body).json()
    assert wait_for_source(client, source["id"])["status"] == "ready"
    ask = lambda q: client.post(f"/api/v1/agents/{agent['id']}/ask", json={"question": q}).json()  # noqa: E731
    assert "match" in ask("Do you price match?")["answer"]
    resynced = client.post(f"/api/v1/sources/{source['id']}/resync")
    assert resynced.status_code == 202
    assert wait_for_source(client, source["id"])["status"] == "ready"
    assert client.delete(f"/api/v1/sources/{source['id']}").status_code == 204
    _error(client.get(f"/api/v1/sources/{source['id']}"), 404, "not_found")
    assert ask("Do you price match?")["handoff"]["triggered"]


def allow_local_site(client: httpx.Client, site: LocalSite) -> None:
    """Fetches reach loopback only when the workspace allows it, as an admin would."""
    response = client.put("/api/v1/workspace/allowed-hosts", json={"hosts": [site.host]})
    assert response.status_code == 200, response.text


def test_url_source_from_a_local_site(client: httpx.Client, local_site: LocalSite) -> None:
    local_site.pages["/hours.html"] = (
        "text/html",
        b"<html><head><title>Visit us</title></head><body><nav>Home | Shop</nav>"
        b"<main><h1>Showroom hours</h1>"
        b"<p>The showroom is open Monday to Friday 9:00 to 18:00.</p></main>"
        b"<footer>Copyright</footer></body></html>",
    )
    agent = _agent(client)
    allow_local_site(client, local_site)
    source = client.post(
        f"/api/v1/agents/{agent['id']}/sources/urls", json={"url": local_site.url("/hours.html")}
    ).json()
    final = wait_for_source(client, source["id"])
    assert final["status"] == "ready" and final["title"] == "Visit us"
    answer = client.post(
        f"/api/v1/agents/{agent['id']}/ask", json={"question": "when is the showroom open?"}
    ).json()
    assert "9:00" in answer["answer"]
    assert answer["citations"][0]["url"] == local_site.url("/hours.html")


def test_unreachable_url_fails_with_a_reason(client: httpx.Client, local_site: LocalSite) -> None:
    agent = _agent(client)
    allow_local_site(client, local_site)
    source = client.post(
        f"/api/v1/agents/{agent['id']}/sources/urls", json={"url": local_site.url("/missing.html")}
    ).json()
    final = wait_for_source(client, source["id"])
    assert final["status"] == "failed" and "404" in final["error"]


def test_upload_errors(client: httpx.Client) -> None:
    agent = _agent(client)
    url = f"/api/v1/agents/{agent['id']}/sources/files"
    error = _error(
        client.post(url, files={"file": ("setup.exe", b"MZ\x90\x00", "application/octet-stream")}),
        415,
        "unsupported_type",
    )
    assert ".exe" in error["message"] or "setup.exe" in error["message"]
    error = _error(
        client.post(url, files={"file": ("empty.txt", b"", "text/plain")}), 422, "empty_file"
    )
    assert "empty" in error["message"]
    big = b"a" * (1024 * 1024 + 10)  # the test settings allow 1 MB
    error = _error(
        client.post(url, files={"file": ("big.txt", big, "text/plain")}), 413, "too_large"
    )
    assert "MB" in error["message"]
    _error(client.post(url, json={"file": "nope"}), 422, "invalid")
    _error(client.post(url, files={"other": ("a.txt", b"hi", "text/plain")}), 422, "invalid")
    assert client.get(f"/api/v1/agents/{agent['id']}/sources").json() == []


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/api/v1/agents/agt_nope", {}),
        ("post", "/api/v1/agents/agt_nope/ask", {"json": {"question": "hi"}}),
        (
            "post",
            "/api/v1/agents/agt_nope/sources/files",
            {"files": {"file": ("a.md", b"# A\n\nText here.", "text/markdown")}},
        ),
        ("post", "/api/v1/agents/agt_nope/sources/urls", {"json": {"url": "https://example.com"}}),
        ("get", "/api/v1/agents/agt_nope/sources", {}),
        ("get", "/api/v1/sources/src_nope", {}),
        ("post", "/api/v1/sources/src_nope/resync", {}),
        ("delete", "/api/v1/sources/src_nope", {}),
    ],
)
def test_unknown_ids_are_404(client: httpx.Client, method: str, path: str, kwargs: dict) -> None:
    _error(getattr(client, method)(path, **kwargs), 404, "not_found")


def test_bad_json_and_fields(client: httpx.Client) -> None:
    agent = _agent(client)
    ask = f"/api/v1/agents/{agent['id']}/ask"
    _error(
        client.post(ask, content=b'{"question": ', headers={"content-type": "application/json"}),
        400,
        "malformed_json",
    )
    error = _error(client.post(ask, json={}), 422, "invalid")
    assert error["field"] == "question"
    error = _error(client.post(ask, json={"question": "x" * 2001}), 422, "invalid")
    assert error["field"] == "question"
    error = _error(
        client.post(
            f"/api/v1/agents/{agent['id']}/sources/urls", json={"url": "ftp://files.example.com/a"}
        ),
        422,
        "invalid",
    )
    assert error["field"] == "url"
    error = _error(client.post("/api/v1/agents", json={"name": ""}), 422, "invalid")
    assert error["field"] == "name"
    error = _error(
        client.patch(f"/api/v1/agents/{agent['id']}", json={"confidence_threshold": 3}),
        422,
        "invalid",
    )
    assert error["field"] == "confidence_threshold"
    _error(
        client.post(f"/api/v1/agents/{agent['id']}/sources/qa", json={"pairs": []}), 422, "invalid"
    )
    _error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_openapi_and_docs(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/agents/{agent_id}/ask" in spec["paths"]
    assert "/api/v1/agents/{agent_id}/sources/files" in spec["paths"]
    assert client.get("/docs").status_code == 200
    assert client.get("/healthz").text == "ok"
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 307 and home.headers["location"] == "/inbox"
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and "text/html" in inbox.headers["content-type"]
    assert "script-src 'self'" in inbox.headers["content-security-policy"]
    assert client.get("/inbox/invite/inv_abc").status_code == 200
    script = client.get("/widget.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/static/inbox/../../settings.py").status_code == 404


def test_a_change_is_committed_before_its_response(client: httpx.Client) -> None:
    # The transaction must end before the response leaves, not after: a client's very
    # next request has to see what it was told happened.
    for n in range(25):
        made = client.post("/api/v1/agents", json={"name": f"Agent {n}"})
        assert made.status_code == 201
        assert client.get(f"/api/v1/agents/{made.json()['id']}").status_code == 200
        assert client.delete(f"/api/v1/agents/{made.json()['id']}").status_code == 204
        assert client.get(f"/api/v1/agents/{made.json()['id']}").status_code == 404
