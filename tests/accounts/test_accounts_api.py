"""Sign-in, sessions and CSRF, invites, roles, API keys and workspace isolation."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from app_fixtures import PASSWORD, Accounts, sign_in
from frontdesk.accounts.models import ApiKey, Member
from frontdesk.db.engine import Database
from frontdesk.settings import Settings
from support import ServerThread


def _code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def test_sign_in_sets_a_secure_session_and_csrf_guards_writes(
    server: ServerThread, accounts: Accounts
) -> None:
    accounts.member("owner@ridgeline.test", role="owner", name="Olive")
    with httpx.Client(base_url=server.url) as http:
        assert _code(http.get("/api/v1/auth/me"), 401) == "unauthenticated"
        wrong = http.post(
            "/api/v1/auth/login", json={"email": "owner@ridgeline.test", "password": "nope-nope"}
        )
        assert _code(wrong, 401) == "invalid_credentials"
        unknown = http.post(
            "/api/v1/auth/login", json={"email": "who@ridgeline.test", "password": PASSWORD}
        )
        assert _code(unknown, 401) == "invalid_credentials"
        login = http.post(
            "/api/v1/auth/login", json={"email": " Owner@Ridgeline.test ", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"]
        assert "fd_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        body = login.json()
        assert body["member"]["name"] == "Olive" and body["member"]["role"] == "owner"
        assert "password" not in str(body) and "password_hash" not in body["member"]
        assert http.get("/api/v1/auth/me").json()["csrf_token"] == body["csrf_token"]

        without = http.post("/api/v1/agents", json={"name": "Sneaky"})
        assert _code(without, 403) == "csrf_failed"
        forged = http.post("/api/v1/agents", json={"name": "Sneaky"}, headers={"X-CSRF-Token": "x"})
        assert _code(forged, 403) == "csrf_failed"
        made = http.post(
            "/api/v1/agents", json={"name": "Honest"}, headers={"X-CSRF-Token": body["csrf_token"]}
        )
        assert made.status_code == 201
        out = http.post("/api/v1/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
        assert out.status_code == 204
        assert _code(http.get("/api/v1/agents"), 401) == "unauthenticated"


def test_passwords_and_keys_are_stored_hashed(
    server: ServerThread, accounts: Accounts, settings: Settings
) -> None:
    accounts.member("hash@ridgeline.test")
    key = accounts.api_key()

    async def stored() -> tuple[str, list[str]]:
        db = Database(settings.sqlalchemy_url)
        try:
            async with db.session() as session:
                member = await session.scalar(
                    select(Member).where(Member.email == "hash@ridgeline.test")
                )
                hashes = list(await session.scalars(select(ApiKey.key_hash)))
                assert member is not None
                return member.password_hash, hashes
        finally:
            await db.dispose()

    password_hash, key_hashes = asyncio.run(stored())
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash
    assert key not in key_hashes and len(key_hashes[0]) == 64


def test_repeated_wrong_passwords_are_rate_limited(
    server: ServerThread, accounts: Accounts
) -> None:
    accounts.member("slow@ridgeline.test")
    with httpx.Client(base_url=server.url) as http:
        attempt = {"email": "slow@ridgeline.test", "password": "wrong-password"}
        codes = [http.post("/api/v1/auth/login", json=attempt).status_code for _ in range(11)]
        assert codes == [401] * 10 + [429]
        right = http.post(
            "/api/v1/auth/login", json={"email": "slow@ridgeline.test", "password": PASSWORD}
        )
        assert _code(right, 429) == "rate_limited"


def test_invite_link_sets_the_password_and_roles_are_enforced(
    server: ServerThread, accounts: Accounts
) -> None:
    accounts.member("owner@ridgeline.test", role="owner", name="Olive")
    owner = sign_in(server, "owner@ridgeline.test")
    invite = owner.post("/api/v1/invites", json={"email": "New@Ridgeline.test", "role": "agent"})
    assert invite.status_code == 201, invite.text
    url = invite.json()["url"]
    token = url.rsplit("/", 1)[-1]
    assert url.startswith(f"{server.url}/inbox/invite/inv_")
    listed = owner.get("/api/v1/invites").json()["invites"]
    assert [i["email"] for i in listed] == ["new@ridgeline.test"] and "url" not in listed[0]

    with httpx.Client(base_url=server.url) as anonymous:
        preview = anonymous.get(f"/api/v1/auth/invites/{token}").json()
        assert preview == {
            "email": "new@ridgeline.test",
            "role": "agent",
            "workspace": "Default workspace",
        }
        short = anonymous.post(
            f"/api/v1/auth/invites/{token}", json={"name": "Nia", "password": "short"}
        )
        assert _code(short, 422) == "invalid"
        accepted = anonymous.post(
            f"/api/v1/auth/invites/{token}", json={"name": "Nia", "password": "a long password"}
        )
        assert accepted.status_code == 200 and accepted.json()["member"]["role"] == "agent"
        assert anonymous.get("/api/v1/auth/me").json()["member"]["email"] == "new@ridgeline.test"
        again = anonymous.post(
            f"/api/v1/auth/invites/{token}", json={"name": "Nia", "password": "a long password"}
        )
        assert _code(again, 404) == "not_found"
        assert _code(anonymous.get("/api/v1/auth/invites/inv_bogus"), 404) == "not_found"

    agent = sign_in(server, "new@ridgeline.test", "a long password")
    assert _code(agent.post("/api/v1/invites", json={"email": "x@y.test"}), 403) == "forbidden"
    assert _code(agent.post("/api/v1/apikeys", json={"name": "mine"}), 403) == "forbidden"
    assert _code(agent.post("/api/v1/agents", json={"name": "Mine"}), 403) == "forbidden"
    assert agent.get("/api/v1/agents").status_code == 200  # reading is fine
    members = owner.get("/api/v1/members").json()["members"]
    assert {m["email"] for m in members} == {"owner@ridgeline.test", "new@ridgeline.test"}
    nia = next(m for m in members if m["name"] == "Nia")
    assert (
        owner.patch(f"/api/v1/members/{nia['id']}", json={"role": "admin"}).json()["role"]
        == "admin"
    )
    assert (
        _code(owner.patch(f"/api/v1/members/{nia['id']}", json={"role": "king"}), 422) == "invalid"
    )
    admin = sign_in(server, "new@ridgeline.test", "a long password")
    olive = next(m for m in members if m["name"] == "Olive")
    assert _code(admin.delete(f"/api/v1/members/{olive['id']}"), 403) == "forbidden"
    assert (
        _code(owner.patch(f"/api/v1/members/{olive['id']}", json={"role": "agent"}), 409)
        == "conflict"
    )
    assert _code(owner.delete(f"/api/v1/members/{olive['id']}"), 409) == "conflict"
    dup = owner.post("/api/v1/invites", json={"email": "new@ridgeline.test"})
    assert _code(dup, 409) == "conflict"
    bad = owner.post("/api/v1/invites", json={"email": "not-an-email"})
    assert _code(bad, 422) == "invalid"
    assert owner.delete(f"/api/v1/members/{nia['id']}").status_code == 204
    assert _code(admin.get("/api/v1/members"), 401) == "unauthenticated"
    for client in (owner, agent, admin):
        client.close()


def test_api_keys_are_shown_once_and_can_be_revoked(
    server: ServerThread, accounts: Accounts
) -> None:
    accounts.member("owner@ridgeline.test", role="owner")
    owner = sign_in(server, "owner@ridgeline.test")
    created = owner.post("/api/v1/apikeys", json={"name": "zapier"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("fd_") and created.json()["prefix"] == key[:10]
    listed = owner.get("/api/v1/apikeys").json()["api_keys"]
    assert [k["name"] for k in listed] == ["zapier"] and "key" not in listed[0]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as api:
        assert api.get("/api/v1/agents").status_code == 200
        assert api.post("/api/v1/agents", json={"name": "Via key"}).status_code == 201  # no CSRF
        assert owner.get("/api/v1/apikeys").json()["api_keys"][0]["last_used_at"] is not None
        assert owner.delete(f"/api/v1/apikeys/{created.json()['id']}").status_code == 204
        assert _code(api.get("/api/v1/agents"), 401) == "invalid_api_key"
    owner.close()


def test_workspaces_are_isolated(
    server: ServerThread, accounts: Accounts, client, visitors, agent
) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    other = accounts.workspace("Other dealer")
    accounts.member("eve@other.test", workspace_id=other, role="owner")
    outsiders = [
        sign_in(server, "eve@other.test"),
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {accounts.api_key(other)}"}
        ),
    ]
    ours = client.get("/api/v1/members").json()["members"]
    for http in outsiders:
        assert http.get("/api/v1/conversations").json()["conversations"] == []
        assert http.get("/api/v1/agents").json() == []
        cid, aid = visitor.id, agent["id"]
        for method, path, body in [
            ("GET", f"/api/v1/conversations/{cid}", None),
            ("POST", f"/api/v1/conversations/{cid}/messages", {"text": "hi"}),
            ("POST", f"/api/v1/conversations/{cid}/takeover", None),
            ("POST", f"/api/v1/conversations/{cid}/assign", {"member_id": None}),
            ("POST", f"/api/v1/conversations/{cid}/handback", None),
            ("POST", f"/api/v1/conversations/{cid}/close", None),
            ("POST", f"/api/v1/conversations/{cid}/reopen", None),
            ("POST", f"/api/v1/conversations/{cid}/priority", {"priority": "high"}),
            ("POST", f"/api/v1/conversations/{cid}/read", {"seq": 1}),
            ("GET", f"/api/v1/agents/{aid}", None),
            ("PATCH", f"/api/v1/agents/{aid}", {"greeting": "pwned"}),
            ("DELETE", f"/api/v1/agents/{aid}", None),
            ("GET", f"/api/v1/agents/{aid}/sources", None),
            ("POST", f"/api/v1/agents/{aid}/ask", {"question": "financing?"}),
        ]:
            response = http.request(method, path, json=body)
            if response.status_code != 404:
                # /read is a no-op for API keys, but never a leak: nothing else may succeed.
                assert path.endswith("/read") and response.status_code in (204, 404), (
                    path,
                    response.text,
                )
        if ours:
            theirs = http.patch(f"/api/v1/members/{ours[0]['id']}", json={"role": "agent"})
            assert theirs.status_code in (403, 404)
        http.close()
    detail: dict[str, Any] = client.get(f"/api/v1/conversations/{visitor.id}").json()
    assert detail["conversation"]["status"] == "bot"
    assert client.get(f"/api/v1/agents/{agent['id']}").json()["greeting"] == agent["greeting"]
