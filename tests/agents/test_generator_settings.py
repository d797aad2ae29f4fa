"""Choosing an agent's generator: `local` needs llama.cpp and a GGUF file on the server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest


def _refused(response: httpx.Response, field: str, says: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert says in error["message"], error


def test_local_generator_is_stored_with_its_checked_settings(
    client: httpx.Client, model_file: Path
) -> None:
    created = client.post(
        "/api/v1/agents",
        json={
            "name": "Local",
            "generator": "local",
            "generator_config": {"model_path": str(model_file)},
        },
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    assert agent["generator"] == "local"
    assert agent["generator_config"] == {
        "model_path": str(model_file),
        "threads": 2,
        "max_tokens": 256,
        "temperature": 0.0,
    }
    exported = client.get(f"/api/v1/agents/{agent['id']}/export").text
    assert "generator: local" in exported and f"model_path: {model_file}" in exported


@pytest.mark.parametrize(
    ("config", "field", "says"),
    [
        (None, "generator_config.model_path", "generator_config.model_path: is required"),
        ({}, "generator_config.model_path", "is required"),
        (
            {"model_path": "/nowhere/model.gguf"},
            "generator_config.model_path",
            "no file /nowhere/model.gguf on the server",
        ),
        ({"model_path": "{text}"}, "generator_config.model_path", "is not a .gguf file"),
        (
            {"model_path": "{gguf}", "threads": 0},
            "generator_config.threads",
            "greater than or equal to 1",
        ),
        ({"model_path": "{gguf}", "threads": "2"}, "generator_config.threads", "valid integer"),
        ({"model_path": "{gguf}", "gpu": True}, "generator_config.gpu", "Extra inputs"),
    ],
)
def test_bad_local_settings_are_refused_with_the_field(
    client: httpx.Client, tmp_path: Path, model_file: Path, config: Any, field: str, says: str
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    if config is not None:
        config = {
            k: v.format(text=text, gguf=model_file) if isinstance(v, str) else v
            for k, v in config.items()
        }
    body: dict[str, Any] = {"name": "Local", "generator": "local"}
    if config is not None:
        body["generator_config"] = config
    _refused(client.post("/api/v1/agents", json=body), field, says)
    assert client.get("/api/v1/agents").json() == []


def test_a_change_that_breaks_the_local_settings_is_refused(
    client: httpx.Client, model_file: Path
) -> None:
    agent = client.post("/api/v1/agents", json={"name": "Local"}).json()
    assert agent["generator"] == "extractive"
    _refused(
        client.patch(f"/api/v1/agents/{agent['id']}", json={"generator": "local"}),
        "generator_config.model_path",
        "is required",
    )
    good = {"generator": "local", "generator_config": {"model_path": str(model_file)}}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=good).status_code == 200
    moved = {"generator_config": {"model_path": str(model_file) + ".old.gguf"}}
    _refused(
        client.patch(f"/api/v1/agents/{agent['id']}", json=moved),
        "generator_config.model_path",
        "no file",
    )
    stored = client.get(f"/api/v1/agents/{agent['id']}").json()
    assert stored["generator_config"]["model_path"] == str(model_file)


def test_unknown_generator_is_refused(client: httpx.Client) -> None:
    response = client.post("/api/v1/agents", json={"name": "A", "generator": "gpt"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "generator"


def test_without_llama_cpp_the_local_generator_says_how_to_install_it(
    client: httpx.Client, model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules is how Python blocks an import: as if the extra were not installed.
    monkeypatch.setitem(sys.modules, "cyllama", None)
    body = {
        "name": "Local",
        "generator": "local",
        "generator_config": {"model_path": str(model_file)},
    }
    _refused(
        client.post("/api/v1/agents", json=body), "generator", "pip install 'frontdesk[local]'"
    )
