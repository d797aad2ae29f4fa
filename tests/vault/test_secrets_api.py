"""/api/v1/secrets and /api/v1/workspace/allowed-hosts over a live server."""

from __future__ import annotations

import asyncio
from contextlib import closing

import httpx

from app_fixtures import Accounts, sign_in
from frontdesk.db.engine import Database
from frontdesk.settings import Settings
from frontdesk.vault import service
from frontdesk.vault.cipher import Cipher, load_key
from support import ServerThread

VALUE = "hd-9c1f-very-secret-value"


def _code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def stored_values(settings: Settings, workspace_id: str) -> dict[str, str]:
    """What the server's own store holds, decrypted as an action run would."""

    async def main() -> dict[str, str]:
        cipher = Cipher(load_key(None, settings.data_dir))
        db = Database(settings.sqlalchemy_url)
        try:
            async with db.session() as session:
                names = [s.name for s in await service.list_secrets(session, workspace_id)]
                return await service.resolve(session, cipher, workspace_id, names)
        finally:
            await db.dispose()

    return asyncio.run(main())


def test_set_list_replace_delete_never_return_the_value(
    client: httpx.Client, accounts: Accounts, settings: Settings
) -> None:
    created = client.put("/api/v1/secrets/HELPDESK_TOKEN", json={"value": VALUE})
    assert created.status_code == 201, created.text
    assert set(created.json()) == {"name", "updated_at"}
    assert created.json()["name"] == "HELPDESK_TOKEN"
    replaced = client.put("/api/v1/secrets/HELPDESK_TOKEN", json={"value": VALUE + "-2"})
    assert replaced.status_code == 200
    assert replaced.json()["updated_at"] >= created.json()["updated_at"]
    client.put("/api/v1/secrets/CRM_KEY", json={"value": "crm-" + VALUE})
    listed = client.get("/api/v1/secrets")
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()] == ["CRM_KEY", "HELPDESK_TOKEN"]
    assert stored_values(settings, accounts.default_workspace()) == {
        "CRM_KEY": "crm-" + VALUE,
        "HELPDESK_TOKEN": VALUE + "-2",
    }

    bad_name = client.put("/api/v1/secrets/helpdesk-token", json={"value": VALUE})
    assert _code(bad_name, 422) == "invalid" and bad_name.json()["error"]["field"] == "name"
    empty = client.put("/api/v1/secrets/EMPTY", json={"value": ""})
    assert _code(empty, 422) == "invalid" and empty.json()["error"]["field"] == "value"
    wrong_type = client.put("/api/v1/secrets/NUMBER", json={"value": 12345})
    assert _code(wrong_type, 422) == "invalid"

    deleted = client.delete("/api/v1/secrets/CRM_KEY")
    assert deleted.status_code == 204
    assert _code(client.delete("/api/v1/secrets/CRM_KEY"), 404) == "not_found"
    assert [s["name"] for s in client.get("/api/v1/secrets").json()] == ["HELPDESK_TOKEN"]

    responses = [created, replaced, listed, bad_name, empty, wrong_type, deleted]
    for response in responses:
        assert VALUE not in response.text


def test_only_admins_manage_secrets_and_hosts(server: ServerThread, accounts: Accounts) -> None:
    accounts.member("agent@ridgeline.test", role="agent")
    accounts.member("admin@ridgeline.test", role="admin")
    agent = sign_in(server, "agent@ridgeline.test")
    admin = sign_in(server, "admin@ridgeline.test")
    with closing(agent), closing(admin):
        assert _code(agent.get("/api/v1/secrets"), 403) == "forbidden"
        assert _code(agent.put("/api/v1/secrets/X", json={"value": VALUE}), 403) == "forbidden"
        assert _code(agent.delete("/api/v1/secrets/X"), 403) == "forbidden"
        assert _code(agent.get("/api/v1/workspace/allowed-hosts"), 403) == "forbidden"
        put = agent.put("/api/v1/workspace/allowed-hosts", json={"hosts": ["10.0.0.1"]})
        assert _code(put, 403) == "forbidden"
        assert admin.put("/api/v1/secrets/X", json={"value": VALUE}).status_code == 201
        assert [s["name"] for s in admin.get("/api/v1/secrets").json()] == ["X"]
    with httpx.Client(base_url=server.url) as anonymous:
        assert _code(anonymous.get("/api/v1/secrets"), 401) == "unauthenticated"


def test_workspaces_see_only_their_own(
    server: ServerThread, client: httpx.Client, accounts: Accounts, settings: Settings
) -> None:
    client.put("/api/v1/secrets/TOKEN", json={"value": "first-" + VALUE})
    client.put("/api/v1/workspace/allowed-hosts", json={"hosts": ["intranet.local"]})
    other = accounts.workspace("Other dealer")
    headers = {"Authorization": f"Bearer {accounts.api_key(other)}"}
    with httpx.Client(base_url=server.url, headers=headers) as second:
        assert second.get("/api/v1/secrets").json() == []
        assert _code(second.delete("/api/v1/secrets/TOKEN"), 404) == "not_found"
        assert second.put("/api/v1/secrets/TOKEN", json={"value": "second"}).status_code == 201
        assert second.get("/api/v1/workspace/allowed-hosts").json() == {"hosts": []}
    assert stored_values(settings, accounts.default_workspace()) == {"TOKEN": "first-" + VALUE}
    assert stored_values(settings, other) == {"TOKEN": "second"}


def test_allowed_hosts_are_normalised_and_bad_entries_named(client: httpx.Client) -> None:
    assert client.get("/api/v1/workspace/allowed-hosts").json() == {"hosts": []}
    saved = client.put(
        "/api/v1/workspace/allowed-hosts",
        json={"hosts": ["127.0.0.1:8081", "Intranet.Local", "intranet.local ", "[::1]"]},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"hosts": ["127.0.0.1:8081", "intranet.local", "[::1]"]}
    assert client.get("/api/v1/workspace/allowed-hosts").json() == saved.json()

    for bad, reason in [
        ("http://intranet.local/api", "not a host name"),
        ("intranet.local:99999", "invalid port"),
        ("", "not a host name"),
    ]:
        refused = client.put("/api/v1/workspace/allowed-hosts", json={"hosts": ["ok.local", bad]})
        assert _code(refused, 422) == "invalid"
        assert refused.json()["error"]["field"] == "hosts.1"
        assert reason in refused.json()["error"]["message"]
    too_many = client.put(
        "/api/v1/workspace/allowed-hosts", json={"hosts": [f"h{i}.local" for i in range(51)]}
    )
    assert _code(too_many, 422) == "invalid"
    assert client.get("/api/v1/workspace/allowed-hosts").json() == saved.json()
    cleared = client.put("/api/v1/workspace/allowed-hosts", json={"hosts": []})
    assert cleared.json() == {"hosts": []}
