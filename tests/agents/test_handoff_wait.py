"""handoff_wait_s: how long a visitor waits for a person before the offline form, validated
the same way through the JSON API and the agent file."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk.agents.configfile import parse_agent_file
from frontdesk.agents.models import DEFAULT_HANDOFF_WAIT_S
from frontdesk.errors import InvalidInput

YAML = {"Content-Type": "application/yaml"}


def _error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def test_an_agent_waits_three_minutes_unless_told_otherwise(client: httpx.Client) -> None:
    created = client.post("/api/v1/agents", json={"name": "Dealer"})
    assert created.status_code == 201, created.text
    assert created.json()["handoff_wait_s"] == DEFAULT_HANDOFF_WAIT_S == 180

    agent_id = created.json()["id"]
    patched = client.patch(f"/api/v1/agents/{agent_id}", json={"handoff_wait_s": 45})
    assert patched.status_code == 200, patched.text
    assert patched.json()["handoff_wait_s"] == 45
    # Other changes leave it alone; null means "unchanged" as for every other setting.
    kept = client.patch(
        f"/api/v1/agents/{agent_id}", json={"greeting": "Hi", "handoff_wait_s": None}
    )
    assert kept.status_code == 200 and kept.json()["handoff_wait_s"] == 45
    assert client.get(f"/api/v1/agents/{agent_id}").json()["handoff_wait_s"] == 45


@pytest.mark.parametrize("value", [0, 4, -10, 86401, 10**12, 30.5, "60", True, "soon"])
def test_a_wait_out_of_range_or_not_a_whole_number_is_refused(
    client: httpx.Client, value: Any
) -> None:
    created = client.post("/api/v1/agents", json={"name": "Dealer"}).json()
    error = _error(client.patch(f"/api/v1/agents/{created['id']}", json={"handoff_wait_s": value}))
    assert error["field"] == "handoff_wait_s" and error["message"]
    error = _error(client.post("/api/v1/agents", json={"name": "Other", "handoff_wait_s": value}))
    assert error["field"] == "handoff_wait_s"
    assert client.get(f"/api/v1/agents/{created['id']}").json()["handoff_wait_s"] == 180


@pytest.mark.parametrize("value", [5, 86400])
def test_the_bounds_themselves_are_allowed(client: httpx.Client, value: int) -> None:
    created = client.post("/api/v1/agents", json={"name": "Dealer", "handoff_wait_s": value})
    assert created.status_code == 201, created.text
    assert created.json()["handoff_wait_s"] == value


def test_the_agent_file_carries_the_wait(client: httpx.Client) -> None:
    text = "name: Ridgeline\nhandoff_wait_s: 300\n"
    assert parse_agent_file(text).handoff_wait_s == 300
    with pytest.raises(InvalidInput) as bad:
        parse_agent_file("name: Ridgeline\nhandoff_wait_s: 2\n")
    assert "line 2: handoff_wait_s" in bad.value.message

    imported = client.post("/api/v1/agents/import", content=text, headers=YAML)
    assert imported.status_code == 201, imported.text
    assert imported.json()["handoff_wait_s"] == 300
    exported = client.get(f"/api/v1/agents/{imported.json()['id']}/export").text
    assert "handoff_wait_s: 300" in exported
    refused = client.post(
        "/api/v1/agents/import", content="name: Ridgeline\nhandoff_wait_s: a while\n", headers=YAML
    )
    assert _error(refused)["message"].startswith("line 2: handoff_wait_s")
