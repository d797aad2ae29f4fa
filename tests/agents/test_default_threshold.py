"""The server's default confidence threshold is what every new agent starts with, however it
is created; a threshold the owner sets wins, and an existing agent keeps its own."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app_fixtures import with_database
from frontdesk.settings import DEFAULT_CONFIDENCE_THRESHOLD, Settings

YAML = {"Content-Type": "application/yaml"}


@pytest.fixture
def settings(tmp_path: Path, migrated_database: Path) -> Settings:
    # As an owner would set it: FRONTDESK_DEFAULT_CONFIDENCE_THRESHOLD=0.6.
    return with_database(
        Settings(data_dir=tmp_path / "data", default_confidence_threshold=0.6), migrated_database
    )


def test_every_new_agent_starts_at_the_servers_default(client: httpx.Client) -> None:
    assert DEFAULT_CONFIDENCE_THRESHOLD != 0.6  # the setting, not the built-in default, is seen
    created = client.post("/api/v1/agents", json={"name": "Posted"})
    assert created.status_code == 201, created.text
    assert created.json()["confidence_threshold"] == 0.6
    imported = client.post("/api/v1/agents/import", content="name: Imported\n", headers=YAML)
    assert imported.status_code == 201, imported.text
    assert imported.json()["confidence_threshold"] == 0.6


def test_a_threshold_the_owner_sets_wins(client: httpx.Client) -> None:
    created = client.post("/api/v1/agents", json={"name": "Strict", "confidence_threshold": 0.9})
    assert created.json()["confidence_threshold"] == 0.9
    file = "name: Lenient\nconfidence_threshold: 0.3\n"
    imported = client.post("/api/v1/agents/import", content=file, headers=YAML)
    assert imported.json()["confidence_threshold"] == 0.3
    # Importing the file again without a threshold keeps the one the agent has.
    again = client.post("/api/v1/agents/import", content="name: Lenient\n", headers=YAML)
    assert again.status_code == 200 and again.json()["confidence_threshold"] == 0.3
