"""The API keeps the promises of its own OpenAPI document under generated input.

schemathesis sends generated requests, valid and invalid, to every operation of a real
server and fails on any 5xx, any status the document does not list, any body or content type
that does not match it, invalid input that is accepted, and a 405 without `Allow`. The seed
is fixed and each operation gets 12 examples (CONFIG), so a run is repeatable: 91 operations
in about a minute and a half on two busy cores (`pytest -m "not slow"` leaves it
out). The server counts the requests it answered; the total is written to
`<artifacts>/schemathesis-requests.json` (the README's "requests fuzzed").
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.config import SchemathesisConfig

from app_fixtures import Accounts
from chat_fixtures import FAQ, Visitor
from frontdesk.app import create_app
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from httpserver import LocalSite
from support import ServerThread, wait_for_source

pytestmark = [pytest.mark.slow, pytest.mark.live]

# Parameters that name real objects: their example is a placeholder the test swaps for the
# id of an object it created, so the examples reach past the 404 into the handlers. Deletions
# get no placeholder (generated ids), so those objects live through the whole run.
REAL = ("agent_id", "public_key", "source_id", "conversation_id", "X-Visitor-Token")
# How invalid input may be refused: schemathesis's list, plus 413 (refused for its size).
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

# The document is the code's: any instance of the app gives it (checked against the server).
DOCUMENT = json.loads(json.dumps(create_app(Settings(data_dir=Path("unused"))).openapi()))


def _with_placeholders(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "delete":
                continue
            for parameter in operation.get("parameters", []):
                if parameter["name"] in REAL:
                    parameter["example"] = f"real-{parameter['name']}"
    return document


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 1108,
        # Hypothesis's health checks judge how fast data is generated, not the API: on a busy
        # CI machine the large agent bodies would trip them.
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"max-examples": 12, "deterministic": True, "database": "none"},
        "checks": {
            # Valid by the document is not valid by the business (a time zone that does not
            # exist, a team not yet created): such input is refused with 422, rightly.
            "positive_data_acceptance": {"enabled": False},
            "negative_data_rejection": {"expected-statuses": REFUSALS},
        },
    }
)
schema = schemathesis.openapi.from_dict(_with_placeholders(DOCUMENT), config=CONFIG)


@pytest.fixture(scope="module")
def site() -> Iterator[LocalSite]:
    """Where every URL in a valid generated body points: the run never leaves loopback."""
    local = LocalSite().start()
    local.add("/", "<html><body><h1>Ridgeline</h1><p>Open Tuesday to Friday.</p></body></html>")
    try:
        yield local
    finally:
        local.close()


class Counted:
    """An ASGI app behind a count of the HTTP requests it was sent, per operation tried."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0
        self.per_operation: dict[str, int] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def fuzzed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("schemathesis"), max_upload_mb=1)


@pytest.fixture(scope="module")
def counted(embedder: OnnxMiniLM, fuzzed_settings: Settings, artifacts: Path) -> Iterator[Counted]:
    """The app; when the module is done, the requests it answered go to the artifacts."""
    app = Counted(create_app(fuzzed_settings, Runtime(fuzzed_settings, embedder=embedder)))
    yield app
    report = {"requests": app.requests, "per_operation": app.per_operation}
    (artifacts / "schemathesis-requests.json").write_text(json.dumps(report, indent=1))


@pytest.fixture(scope="module")
def served(
    counted: Counted, fuzzed_settings: Settings, site: LocalSite
) -> Iterator[tuple[ServerThread, str]]:
    """A server of its own (the run changes its data) and an API key of its workspace."""
    with ServerThread(counted) as server:
        accounts = Accounts(fuzzed_settings)
        accounts.allow_hosts(site.host)
        yield server, accounts.api_key()


@pytest.fixture(scope="module")
def real(served: tuple[ServerThread, str]) -> dict[str, str]:
    """An agent with a ready source and a visitor's conversation: the objects ids point at."""
    server, key = served
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        assert client.get("/openapi.json").json() == DOCUMENT
        created = client.post("/api/v1/agents", json={"name": "Ridgeline"})
        assert created.status_code == 201, created.text
        agent = created.json()
        added = client.post(f"/api/v1/agents/{agent['id']}/sources/qa", json={"pairs": FAQ})
        assert added.status_code == 202, added.text
        source = wait_for_source(client, added.json()["id"])
        assert source["status"] == "ready"
    visitor = Visitor(server, agent["public_key"])
    assert visitor.send("When is the service department open?").status_code == 201
    visitor.close()
    return {
        "agent_id": agent["id"],
        "public_key": agent["public_key"],
        "source_id": source["id"],
        "conversation_id": visitor.id,
        "X-Visitor-Token": visitor.token,
    }


def _offline(value: Any, url: str) -> Any:
    """``value`` with every http(s) URL in it replaced by ``url``."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return url
    if isinstance(value, list):
        return [_offline(v, url) for v in value]
    if isinstance(value, dict):
        return {k: _offline(v, url) for k, v in value.items()}
    return value


@schema.parametrize()
def test_api_matches_its_schema(
    case: Case,
    served: tuple[ServerThread, str],
    real: dict[str, str],
    site: LocalSite,
    counted: Counted,
) -> None:
    server, key = served
    for values in (case.path_parameters, case.query, case.headers):
        for name, value in (values or {}).items():
            if value == f"real-{name}":
                values[name] = real[name]
    # Sources, webhooks and actions fetch or call the URLs a valid body names. An invalid
    # body is refused before anything is fetched, and rewriting it could make it valid.
    if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
        offline = _offline(case.body, site.url("/"))
        if offline != case.body:
            case.body = offline
    before = counted.requests
    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {key}"})
    operation = f"{case.method} {case.path}"
    counted.per_operation[operation] = counted.per_operation.get(operation, 0) + (
        counted.requests - before
    )
