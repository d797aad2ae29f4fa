"""Saved replies over the API: admins edit the library, every member reads it, each
workspace sees only its own, and every bad input gets a clear 4xx."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import httpx

from app_fixtures import Accounts, api_client, sign_in
from support import ServerThread

FINANCING = {
    "shortcut": "/Financing",
    "title": "Financing options",
    "text": "Hi {visitor.name}, {agent.name} here: we finance from 3.9% APR.",
}


def _admin(
    server: ServerThread, accounts: Accounts, workspace_id: str | None = None
) -> closing[httpx.Client]:
    email = f"admin-{workspace_id or 'default'}@ridgeline.test"
    accounts.member(email, role="admin", workspace_id=workspace_id, name="Alex")
    return closing(sign_in(server, email))


def _error(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    if field:
        assert error.get("field") == field or field in str(error), error
    return error


def test_an_admin_adds_changes_and_deletes_a_reply(
    server: ServerThread, accounts: Accounts, member: httpx.Client
) -> None:
    with _admin(server, accounts) as admin:
        created = admin.post("/api/v1/saved-replies", json=FINANCING)
        assert created.status_code == 201, created.text
        reply = created.json()
        assert (reply["shortcut"], reply["title"]) == ("financing", "Financing options")
        listed = member.get("/api/v1/saved-replies").json()
        assert [r["shortcut"] for r in listed["replies"]] == ["financing"]
        assert listed["variables"] == ["visitor.name", "agent.name"]

        changed = admin.patch(
            f"/api/v1/saved-replies/{reply['id']}", json={"shortcut": "rates", "title": "Rates"}
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["shortcut"], changed.json()["text"]) == ("rates", reply["text"])
        assert admin.delete(f"/api/v1/saved-replies/{reply['id']}").status_code == 204
        assert member.get("/api/v1/saved-replies").json()["replies"] == []
        _error(admin.delete(f"/api/v1/saved-replies/{reply['id']}"), 404)


def test_members_read_but_only_admins_edit(
    server: ServerThread, accounts: Accounts, member: httpx.Client
) -> None:
    _error(member.post("/api/v1/saved-replies", json=FINANCING), 403)
    with _admin(server, accounts) as admin:
        reply = admin.post("/api/v1/saved-replies", json=FINANCING).json()
    _error(member.patch(f"/api/v1/saved-replies/{reply['id']}", json={"title": "x"}), 403)
    _error(member.delete(f"/api/v1/saved-replies/{reply['id']}"), 403)
    assert len(member.get("/api/v1/saved-replies").json()["replies"]) == 1
    _error(httpx.get(f"{server.url}/api/v1/saved-replies"), 401)


def test_bad_replies_are_refused_field_by_field(server: ServerThread, accounts: Accounts) -> None:
    with _admin(server, accounts) as admin:
        bad = [
            ({**FINANCING, "shortcut": "two words"}, "shortcut"),
            ({**FINANCING, "shortcut": ""}, "shortcut"),
            ({**FINANCING, "shortcut": "x" * 33}, "shortcut"),
            ({**FINANCING, "title": "  "}, "title"),
            ({**FINANCING, "text": ""}, "text"),
            ({**FINANCING, "text": "x" * 4001}, "text"),
            ({**FINANCING, "text": "Hi {visitor.email}"}, "text"),
            ({"shortcut": "a", "title": "b"}, "text"),
            ({**FINANCING, "shortcut": 7}, "shortcut"),
        ]
        for body, field in bad:
            error = _error(admin.post("/api/v1/saved-replies", json=body), 422, field)
            assert error["message"], body
        unknown = admin.post("/api/v1/saved-replies", json={**FINANCING, "text": "Hi {name}"})
        assert "{visitor.name}" in unknown.json()["error"]["message"]
        first = admin.post("/api/v1/saved-replies", json=FINANCING).json()
        _error(admin.post("/api/v1/saved-replies", json=FINANCING), 409, "shortcut")
        other = admin.post("/api/v1/saved-replies", json={**FINANCING, "shortcut": "hours"})
        assert other.status_code == 201
        clash = admin.patch(
            f"/api/v1/saved-replies/{other.json()['id']}", json={"shortcut": "financing"}
        )
        _error(clash, 409, "shortcut")
        _error(admin.patch(f"/api/v1/saved-replies/{first['id']}", json={"text": "{x}"}), 422)
        _error(admin.patch("/api/v1/saved-replies/rpl_missing", json={"title": "x"}), 404)


def test_each_workspace_has_its_own_library(server: ServerThread, accounts: Accounts) -> None:
    elsewhere = accounts.workspace("Elsewhere")
    with _admin(server, accounts) as ours, _admin(server, accounts, elsewhere) as theirs:
        mine = ours.post("/api/v1/saved-replies", json=FINANCING).json()
        # The same shortcut is free in another workspace.
        assert theirs.post("/api/v1/saved-replies", json=FINANCING).status_code == 201
        with api_client(server, accounts, elsewhere) as their_key:
            listed = their_key.get("/api/v1/saved-replies").json()["replies"]
        assert [r["id"] for r in listed] != [mine["id"]] and len(listed) == 1
        _error(theirs.patch(f"/api/v1/saved-replies/{mine['id']}", json={"title": "x"}), 404)
        _error(theirs.delete(f"/api/v1/saved-replies/{mine['id']}"), 404)
        assert ours.get("/api/v1/saved-replies").json()["replies"][0]["title"] == FINANCING["title"]
