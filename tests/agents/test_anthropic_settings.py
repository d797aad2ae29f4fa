"""Choosing the `anthropic` generator: checked settings, and the key named, never stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

KEY = "sk-ant-settings-9d1e44"


def _refused(response: httpx.Response, field: str, says: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert says in error["message"], error


@pytest.fixture
def with_secret(client: httpx.Client) -> str:
    assert client.put("/api/v1/secrets/CLAUDE_KEY", json={"value": KEY}).status_code in (200, 201)
    return "CLAUDE_KEY"


def test_anthropic_settings_are_stored_checked_with_the_secret_named(
    client: httpx.Client, with_secret: str
) -> None:
    config = {"model": "claude-haiku", "api_key_secret": with_secret}
    created = client.post(
        "/api/v1/agents",
        json={"name": "Claude", "generator": "anthropic", "generator_config": config},
    )
    assert created.status_code == 201, created.text
    assert created.json()["generator_config"] == {
        "model": "claude-haiku",
        "api_key_secret": "CLAUDE_KEY",
        "base_url": "https://api.anthropic.com",
        "timeout_s": 30.0,
        "max_tokens": 512,
        "temperature": None,
    }
    exported = client.get(f"/api/v1/agents/{created.json()['id']}/export").text
    assert "generator: anthropic" in exported and KEY not in exported


@pytest.mark.parametrize(
    ("config", "field", "says"),
    [
        ({"api_key_secret": "CLAUDE_KEY"}, "generator_config.model", "is required"),
        ({"model": "m"}, "generator_config.api_key_secret", "is required"),
        (
            {"model": "m", "api_key_secret": "NOT_SET"},
            "generator_config.api_key_secret",
            "the workspace has no secret NOT_SET",
        ),
        (
            {"model": "m", "api_key_secret": KEY},
            "generator_config.api_key_secret",
            "should match pattern",
        ),
        (
            {"model": "m", "api_key_secret": "CLAUDE_KEY", "base_url": "ftp://proxy"},
            "generator_config.base_url",
            "Only http and https",
        ),
        (
            {"model": "m", "api_key_secret": "CLAUDE_KEY", "timeout_s": 0},
            "generator_config.timeout_s",
            "greater than 0",
        ),
        (
            {"model": "m", "api_key_secret": "CLAUDE_KEY", "api_key": KEY},
            "generator_config.api_key",
            "Extra inputs",
        ),
    ],
)
def test_bad_anthropic_settings_are_refused_with_the_field(
    client: httpx.Client, with_secret: str, config: dict[str, Any], field: str, says: str
) -> None:
    body = {"name": "Claude", "generator": "anthropic", "generator_config": config}
    response = client.post("/api/v1/agents", json=body)
    _refused(response, field, says)
    assert KEY not in response.text  # a key pasted in the wrong field is not echoed back
    assert client.get("/api/v1/agents").json() == []
