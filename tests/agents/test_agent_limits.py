"""Agent settings stay small: alias bombs, oversized files and every size cap, on a real server."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from importlib import resources
from typing import Any

import httpx
import pytest
from agent_files import as_file, billion_laughs

YAML = {"Content-Type": "application/yaml"}


def _http(**extra: Any) -> dict[str, Any]:
    return {"name": "hook", "kind": "http", "url": "https://crm.example/api", **extra}


def _form(**extra: Any) -> dict[str, Any]:
    return {"name": "lead", "kind": "form", "fields": [{"name": "email"}], **extra}


def _nested(depth: int) -> Any:
    body: Any = "{lead.email}"
    for _ in range(depth):
        body = {"x": body}
    return body


def _weekly(entries: int) -> dict[str, str]:
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    ranges = [f"{a}-{b}" for i, a in enumerate(days) for b in days[i + 1 :]]
    return {key: "09:00-17:00" for key in ranges[:entries]}


# (settings over one cap, the field the file's error names, the field the JSON API names)
CAPS: list[tuple[dict[str, Any], str, str]] = [
    ({"greeting": "g" * 2001}, "greeting", "greeting"),
    ({"instructions": "i" * 8001}, "instructions", "instructions"),
    ({"handoff_message": "h" * 2001}, "handoff_message", "handoff_message"),
    ({"rules": {"keywords": [f"k{i}" for i in range(201)]}}, "rules.keywords", "rules.keywords"),
    ({"rules": {"keywords": ["p" * 201]}}, "rules.keywords.0.phrase", "rules.keywords.0.phrase"),
    (
        {"rules": {"keywords": [{"phrase": "fire", "tags": [f"t{i}" for i in range(11)]}]}},
        "rules.keywords.0.tags",
        "rules.keywords.0.tags",
    ),
    (
        {"rules": {"topics": [{"name": f"t{i}", "examples": ["x"]} for i in range(301)]}},
        "rules.topics",
        "rules.topics",
    ),
    (
        {"rules": {"topics": [{"name": "t", "examples": [f"e{i}" for i in range(51)]}]}},
        "rules.topics.0.examples",
        "rules.topics.0.examples",
    ),
    (
        {"rules": {"topics": [{"name": "t", "examples": ["e" * 301]}]}},
        "rules.topics.0.examples.0",
        "rules.topics.0.examples.0",
    ),
    ({"rules": {"collect": "c" * 41}}, "rules.collect", "rules.collect"),
    (
        {"actions": [_form(name=f"f{i}") for i in range(51)]},
        "actions",
        "actions",
    ),
    (
        {"actions": [_form(fields=[{"name": f"f{i}"} for i in range(21)])]},
        "actions.0.fields",
        "actions.0.form.fields",
    ),
    (
        {"actions": [_form(fields=[{"name": "a", "label": "l" * 121}])]},
        "actions.0.fields.0.label",
        "actions.0.form.fields.0.label",
    ),
    (
        {"actions": [_form(fields=[{"name": "a", "type": "select", "options": ["o" * 201]}])]},
        "actions.0.fields.0.options.0",
        "actions.0.form.fields.0.options.0",
    ),
    (
        {"actions": [_form(then=["t" * 41])]},
        "actions.0.then.0",
        "actions.0.form.then.0",
    ),
    (
        {"actions": [_http(url="https://crm.example/" + "u" * 2000)]},
        "actions.0.url",
        "actions.0.http.url",
    ),
    (
        {"actions": [_http(headers={f"X-H{i}": "v" for i in range(31)})]},
        "actions.0.headers",
        "actions.0.http.headers",
    ),
    (
        {"actions": [_http(headers={"Authorization": "v" * 8001})]},
        "actions.0.headers.Authorization",
        "actions.0.http.headers.Authorization",
    ),
    (
        {"actions": [_http(body={"note": "b" * 33 * 1024})]},
        "actions.0.body",
        "actions.0.http.body",
    ),
    ({"actions": [_http(body=_nested(11))]}, "actions.0.body", "actions.0.http.body"),
    (
        {"actions": [_http(result_fields=["r" * 201])]},
        "actions.0.result_fields.0",
        "actions.0.http.result_fields.0",
    ),
    (
        {"business_hours": {"timezone": "UTC", "holidays": ["2030-01-01"] * 401}},
        "business_hours.holidays",
        "business_hours.holidays",
    ),
    (
        {"business_hours": {"timezone": "UTC", "weekly": _weekly(15)}},
        "business_hours.weekly",
        "business_hours.weekly",
    ),
    (
        {"business_hours": {"timezone": "UTC", "closed_message": "c" * 2001}},
        "business_hours.closed_message",
        "business_hours.closed_message",
    ),
    (
        {"business_hours": {"timezone": "A" * 65}},
        "business_hours.timezone",
        "business_hours.timezone",
    ),
    (
        {"allowed_origins": [f"https://s{i}.example" for i in range(51)]},
        "allowed_origins",
        "allowed_origins",
    ),
    (
        {"allowed_origins": ["https://" + "o" * 300 + ".example"]},
        "allowed_origins.0",
        "allowed_origins.0",
    ),
]


def test_an_alias_bomb_is_refused_quickly_and_nothing_is_stored(client: httpx.Client) -> None:
    before = client.get("/api/v1/agents")
    bomb = billion_laughs(10)
    assert len(bomb.encode()) < 1024
    # The server runs in this process, so tracemalloc sees what handling the request allocates.
    tracemalloc.start()
    started = time.perf_counter()
    try:
        refused = client.post("/api/v1/agents/import", content=bomb, headers=YAML)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1
    assert peak < 5_000_000
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        "line 7: YAML anchors and aliases (&, *) are not allowed in agent files."
    )
    after = client.get("/api/v1/agents")
    assert after.content == before.content and after.json() == []


def test_base_60_numbers_are_text_as_in_yaml_1_2(client: httpx.Client) -> None:
    # YAML 1.1 would read this as a number of ~100,000 digits, built by slow big-int steps.
    sexagesimal = "name: " + ":".join(["1"] * 60_000) + "\n"
    refused = client.post("/api/v1/agents/import", content=sexagesimal.encode(), headers=YAML)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    # Refused as a name that is too long (text), not as a number where text belongs.
    assert error["field"] == "name" and "at most" in error["message"], error


def test_a_lone_anchor_is_refused(client: httpx.Client) -> None:
    refused = client.post(
        "/api/v1/agents/import", content="name: A\ngreeting: &hello Hi!\n", headers=YAML
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith("line 2: YAML anchors and aliases")
    assert client.get("/api/v1/agents").json() == []


def test_an_oversized_file_is_refused_while_streaming(client: httpx.Client) -> None:
    def chunks() -> Any:
        yield b"name: Big\n"
        for _ in range(20):  # 320 KB without a Content-Length: read until the limit passes
            yield b"#" * 16 * 1024 + b"\n"

    refused = client.post("/api/v1/agents/import", content=chunks(), headers=YAML)
    assert refused.status_code == 413
    assert refused.json()["error"] == {
        "code": "too_large",
        "message": "An agent file can be at most 256 KB.",
        "field": "file",
    }
    assert client.get("/api/v1/agents").json() == []


@pytest.mark.parametrize(("values", "field", "api_field"), CAPS, ids=[c[1] for c in CAPS])
def test_each_cap_names_its_field_in_a_file_and_the_api(
    client: httpx.Client, values: dict[str, Any], field: str, api_field: str
) -> None:
    by_file = client.post(
        "/api/v1/agents/import", content=as_file({"name": "Capped", **values}), headers=YAML
    )
    assert by_file.status_code == 422, by_file.text
    assert by_file.json()["error"]["field"] == field
    assert by_file.json()["error"]["message"].startswith("line ")

    created = client.post("/api/v1/agents", json={"name": "Capped", **values})
    assert created.status_code == 422, created.text
    assert created.json()["error"]["field"] == api_field

    agent = client.post("/api/v1/agents", json={"name": "Capped"}).json()
    patched = client.patch(f"/api/v1/agents/{agent['id']}", json=values)
    assert patched.status_code == 422, patched.text
    assert patched.json()["error"]["field"] == api_field
    assert client.get("/api/v1/agents").json() == [agent]


def _big_actions() -> list[dict[str, Any]]:
    """Six HTTP actions of 25 KB each: every one within its caps, 150 KB together."""
    return [_http(name=f"hook{i}", body={"note": "b" * 25 * 1024}) for i in range(6)]


def _big_rules() -> dict[str, Any]:
    """120 KB of topic examples, each within its caps."""
    return {"topics": [{"name": f"t{i}", "examples": ["e" * 290] * 5} for i in range(80)]}


@pytest.mark.parametrize("send", ["api", "file"])
def test_the_whole_settings_are_capped_when_merged(client: httpx.Client, send: str) -> None:
    post: Callable[[dict[str, Any]], httpx.Response]
    if send == "api":
        agent = client.post("/api/v1/agents", json={"name": "Big", "actions": _big_actions()})

        def post(settings: dict[str, Any]) -> httpx.Response:
            return client.patch(f"/api/v1/agents/{agent.json()['id']}", json=settings)
    else:
        agent = client.post(
            "/api/v1/agents/import",
            content=as_file({"name": "Big", "actions": _big_actions()}),
            headers=YAML,
        )

        def post(settings: dict[str, Any]) -> httpx.Response:
            return client.post(
                "/api/v1/agents/import", content=as_file({"name": "Big", **settings}), headers=YAML
            )

    assert agent.status_code == 201, agent.text
    refused = post({"rules": _big_rules()})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "actions"
    assert "over the 256 KB limit" in refused.json()["error"]["message"]
    assert client.get("/api/v1/agents").json() == [agent.json()]
    smaller = post({"rules": {"topics": _big_rules()["topics"][:20]}})
    assert smaller.status_code == 200, smaller.text


def test_the_demo_agent_file_still_imports(client: httpx.Client) -> None:
    text = (resources.files("frontdesk.demo") / "agent.yaml").read_text(encoding="utf-8")
    imported = client.post("/api/v1/agents/import", content=text, headers=YAML)
    assert imported.status_code == 201, imported.text
    assert imported.json()["rules"]["topics"][0]["team"] == "Finance"
