"""/metrics for a Prometheus scraper holding the token, /readyz for a load balancer.

A real server; what is counted is what happened on it: requests by route template (never by
URL), the AI's answers, handoffs, open sockets and the queues read from the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from websockets.sync.client import connect

from app_fixtures import with_database
from frontdesk.app import create_app
from frontdesk.settings import Settings
from support import ServerThread

TOKEN = "scrape-7c1f0e9a2b"


@pytest.fixture
def settings(tmp_path: Path, migrated_database: Path) -> Settings:
    return with_database(
        Settings(data_dir=tmp_path / "data", metrics_token=SecretStr(TOKEN)), migrated_database
    )


def _scrape(server: ServerThread) -> str:
    response = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def _value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels`` (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_metrics_need_the_token(server: ServerThread) -> None:
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    wrong = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert TOKEN not in wrong.text
    assert "frontdesk_http_requests_total" in _scrape(server)


def test_requests_are_counted_by_route_template_never_by_url(
    server: ServerThread, client: httpx.Client
) -> None:
    labels = {"method": "GET", "route": "/api/v1/agents/{agent_id}", "status": "404"}
    before = _value(_scrape(server), "frontdesk_http_requests_total", **labels)
    for n in range(3):
        assert client.get(f"/api/v1/agents/agt_missing{n}").status_code == 404
    after = _scrape(server)
    assert _value(after, "frontdesk_http_requests_total", **labels) == before + 3
    assert "agt_missing" not in after
    timed = {"method": "GET", "route": "/api/v1/agents/{agent_id}"}
    assert _value(after, "frontdesk_http_request_duration_seconds_count", **timed) >= 3


def test_answers_handoffs_sockets_and_queues(
    server: ServerThread, agent: dict[str, Any], visitors: Any
) -> None:
    before = _scrape(server)
    visitor = visitors()
    url = server.url.replace("http://", "ws://") + f"/api/v1/widget/ws?token={visitor.token}"
    with connect(url, max_queue=None) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "status"
        assert visitor.send("When is the service department open?").status_code == 201
        visitor.wait_for("ai")
        assert visitor.handoff().status_code in (200, 201)
        during = _scrape(server)
        opened = _value(during, "frontdesk_open_sockets", kind="widget")
        assert opened == _value(before, "frontdesk_open_sockets", kind="widget") + 1

    answered = {"generator": "extractive", "outcome": "answered"}
    assert _value(during, "frontdesk_ai_answers_total", **answered) == (
        _value(before, "frontdesk_ai_answers_total", **answered) + 1
    )
    timed = {"generator": "extractive"}
    assert _value(during, "frontdesk_ai_answer_seconds_count", **timed) == (
        _value(before, "frontdesk_ai_answer_seconds_count", **timed) + 1
    )
    button = {"trigger": "button"}
    assert _value(during, "frontdesk_handoffs_total", **button) == (
        _value(before, "frontdesk_handoffs_total", **button) + 1
    )
    # Read from the database at each scrape: the agent's one source is ingested.
    assert _value(during, "frontdesk_queue_depth", queue="sources") == 0
    assert _value(during, "frontdesk_queue_depth", queue="webhook_deliveries") == 0


def test_ready_once_started(server: ServerThread) -> None:
    response = httpx.get(f"{server.url}/readyz")
    assert response.status_code == 200
    checks = {"database": "ok", "broker": "ok", "background": "ok"}
    assert response.json() == {"ready": True, "checks": checks}


async def test_metrics_are_off_without_a_token(tmp_path: Path, migrated_database: Path) -> None:
    app = create_app(with_database(Settings(data_dir=tmp_path / "data"), migrated_database))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/metrics")
    assert response.status_code == 404
    assert "FRONTDESK_METRICS_TOKEN" in response.json()["error"]["message"]
