"""The OpenAPI document says what the API answers: its errors, its times, its types, its methods."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app_fixtures import Accounts
from frontdesk.app import create_app
from frontdesk.inputs import Input
from frontdesk.settings import Settings
from support import wait_for_source

ERROR = {"$ref": "#/components/schemas/ErrorResponse"}


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_error_is_documented_in_the_shape_it_is_sent(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorResponse"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        errors = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
        for status in errors:
            assert responses[str(status)]["content"]["application/json"]["schema"] == ERROR
        if operation.get("parameters") or operation.get("requestBody"):
            assert {404, 422} <= errors, (method, path)
        if operation.get("requestBody"):
            assert {400, 413} <= errors, (method, path)
        if path.startswith("/api/v1/widget/"):
            assert {401, 403, 429} <= errors, (method, path)

    agents = document["paths"]["/api/v1/agents"]
    assert {"401", "403", "409", "422"} <= set(agents["post"]["responses"])
    assert agents["post"]["security"] == [{"apiKey": []}, {"session": []}]
    assert "429" in document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "security" not in document["paths"]["/api/v1/auth/login"]["post"]
    upload = document["paths"]["/api/v1/agents/{agent_id}/sources/files"]["post"]
    assert "415" in upload["responses"]


def test_an_unset_parameter_is_absent_not_null(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    for _, _, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            assert "anyOf" not in parameter["schema"], parameter


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, text
    return moment


def test_every_time_carries_its_offset(client: httpx.Client, accounts: Accounts) -> None:
    accounts.member("sam@ridgeline.test")
    agent = client.post("/api/v1/agents", json={"name": "Ridgeline"}).json()
    added = client.post(
        f"/api/v1/agents/{agent['id']}/sources/qa",
        json={"pairs": [{"question": "Open on Sunday?", "answer": "No."}]},
    ).json()
    source = wait_for_source(client, added["id"])
    for record in (client.get(f"/api/v1/agents/{agent['id']}").json(), source):
        assert _aware(record["updated_at"]) >= _aware(record["created_at"])
    assert _aware(source["synced_at"]) >= _aware(source["created_at"])
    [member] = client.get("/api/v1/members").json()["members"]
    [key] = client.get("/api/v1/apikeys").json()["api_keys"]
    assert _aware(member["created_at"]) >= _aware(key["created_at"])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/sources/urls", {"url": "https://example.com", "max_depth": True}, "max_depth"),
        ("/sources/urls", {"url": "https://example.com", "max_pages": 2.5}, "max_pages"),
        ("", {"confidence_threshold": False}, "confidence_threshold"),
        ("", {"rules": {"negative_sentiment": 1}}, "rules.negative_sentiment"),
        ("", {"rules": {"failed_attempts": "3"}}, "rules.failed_attempts"),
    ],
)
def test_booleans_are_not_numbers(client: httpx.Client, path: str, body: dict, field: str) -> None:
    agent = client.post("/api/v1/agents", json={"name": "Ridgeline"}).json()
    url = f"/api/v1/agents/{agent['id']}{path}"
    response = client.post(url, json=body) if path else client.patch(url, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_holidays_are_still_dates_in_text(client: httpx.Client) -> None:
    hours = {"timezone": "Europe/Berlin", "holidays": ["2026-12-25"]}
    agent = client.post("/api/v1/agents", json={"name": "Ridgeline", "business_hours": hours})
    assert agent.status_code == 201, agent.text
    assert agent.json()["business_hours"]["holidays"] == ["2026-12-25"]


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "PUT"])
def test_a_method_a_path_does_not_serve_is_405_with_allow(
    client: httpx.Client, method: str
) -> None:
    agent = client.post("/api/v1/agents", json={"name": "Ridgeline"}).json()
    expected = {
        f"/api/v1/agents/{agent['id']}": "DELETE, GET, PATCH",
        "/api/v1/agents": "GET, POST",
        # Also matched by /api/v1/agents/{agent_id}: the Allow is still this path's own.
        "/api/v1/agents/import": "POST",
        "/inbox": "GET",
        "/static/inbox/app.js": "GET, HEAD",
    }
    for path, allow in expected.items():
        response = client.request(method, path)
        assert response.status_code == 405, (path, response.text)
        assert response.headers["allow"] == allow, path
        assert response.json()["error"]["code"] == "method_not_allowed"


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    for argument in typing.get_args(annotation):
        yield from _models(argument)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation)


def test_every_request_body_reads_json_types_strictly() -> None:
    """A model a request body is read into (or one inside it) must be an Input."""
    app = create_app(Settings(data_dir=Path("unused")))
    bodies = [
        model
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for parameter in context.dependant.body_params
        for model in _models(parameter.field_info.annotation)
    ]
    assert len(set(bodies)) > 30
    assert [m.__name__ for m in bodies if not issubclass(m, Input)] == []
