"""Password-guess budgets per address and per account, and which proxy headers count."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from app_fixtures import PASSWORD, Accounts, with_database
from frontdesk.app import create_app
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from support import ServerThread

Serve = Callable[..., tuple[ServerThread, Accounts]]
WINDOW_S = 15 * 60

pytestmark = pytest.mark.live


@pytest.fixture
def serve(tmp_path: Path, migrated_database: Path) -> Iterator[Serve]:
    """Start a server with these settings (as a user would set them), on loopback."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> tuple[ServerThread, Accounts]:
            settings = Settings(data_dir=tmp_path / "data", **overrides)
            with_database(settings, migrated_database)
            server = stack.enter_context(ServerThread(create_app(settings, Runtime(settings))))
            return server, Accounts(settings)

        yield start


def _login(http: httpx.Client, email: str, password: str, via: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": via} if via else {}
    return http.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and "try again in" in error["message"]
    assert 0 < int(response.headers["Retry-After"]) <= WINDOW_S + 1


def test_one_address_spraying_many_emails_runs_out(serve: Serve) -> None:
    server, accounts = serve()
    accounts.member("ada@ridgeline.test")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        # Right passwords never use the budget.
        for _ in range(3):
            assert _login(http, "ada@ridgeline.test", PASSWORD).status_code == 200
        codes = [
            _login(http, f"guess{n}@ridgeline.test", "Winter2024!").status_code for n in range(30)
        ]
        assert codes == [401] * 30
        _refused(_login(http, "guess30@ridgeline.test", "Winter2024!"))
        # The address is out of guesses for every account, even with the right password.
        _refused(_login(http, "ada@ridgeline.test", PASSWORD))


def test_one_account_from_many_addresses_runs_out(serve: Serve) -> None:
    server, accounts = serve(trusted_proxies=["127.0.0.1"])
    accounts.member("victim@ridgeline.test")
    with httpx.Client(base_url=server.url, timeout=30) as http:

        def guess(n: int) -> int:
            return _login(http, "victim@ridgeline.test", "hunter22", f"203.0.113.{n}").status_code

        assert [guess(n) for n in range(10)] == [401] * 10
        # The owner signing in meanwhile does not hand the botnet a fresh budget.
        assert _login(http, "victim@ridgeline.test", PASSWORD, "198.51.100.7").status_code == 200
        assert [guess(n) for n in range(10, 20)] == [401] * 10
        _refused(_login(http, "victim@ridgeline.test", "hunter22", "203.0.113.99"))
        _refused(_login(http, "victim@ridgeline.test", PASSWORD, "198.51.100.7"))
        # Other accounts, and the addresses themselves, are not blocked by it.
        assert _login(http, "other@ridgeline.test", "hunter22", "203.0.113.1").status_code == 401


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(serve: Serve) -> None:
    server, _ = serve()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        codes = [
            _login(http, f"spoof{n}@ridgeline.test", "nope-nope", f"192.0.2.{n}").status_code
            for n in range(30)
        ]
        assert codes == [401] * 30
        # Every "different" client was this one address all along.
        _refused(_login(http, "spoof99@ridgeline.test", "nope-nope", "192.0.2.200"))


def test_a_trusted_proxy_names_the_client_per_request(serve: Serve) -> None:
    server, _ = serve(trusted_proxies=["127.0.0.0/8"], login_failures_per_ip=2)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for n in range(2):
            assert _login(http, f"a{n}@ridgeline.test", "nope-nope", "192.0.2.1").status_code == 401
        _refused(_login(http, "a9@ridgeline.test", "nope-nope", "192.0.2.1"))
        # A client may prepend anything; the proxy appends the address it really saw.
        _refused(_login(http, "a9@ridgeline.test", "nope-nope", "10.9.9.9, 192.0.2.1"))
        assert _login(http, "a9@ridgeline.test", "nope-nope", "192.0.2.2").status_code == 401


def test_invite_guesses_share_the_address_budget(serve: Serve) -> None:
    server, _ = serve(login_failures_per_ip=3)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        body = {"name": "Mallory", "password": "long enough"}
        tries = [http.post(f"/api/v1/auth/invites/inv_guess{n}", json=body) for n in range(3)]
        assert [r.status_code for r in tries] == [404] * 3
        _refused(http.post("/api/v1/auth/invites/inv_guess3", json=body))
        _refused(http.get("/api/v1/auth/invites/inv_guess4"))
        _refused(_login(http, "anyone@ridgeline.test", PASSWORD))


def test_widget_conversation_starts_are_limited_per_resolved_client(serve: Serve) -> None:
    server, accounts = serve(trusted_proxies=["127.0.0.1"], conversations_per_minute=2)
    headers = {"Authorization": f"Bearer {accounts.api_key()}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=headers) as admin:
        public_key = admin.post("/api/v1/agents", json={"name": "Ridgeline"}).json()["public_key"]
    with httpx.Client(base_url=server.url, timeout=30) as http:

        def start(via: str) -> int:
            url = f"/api/v1/widget/{public_key}/conversations"
            return http.post(url, json={}, headers={"X-Forwarded-For": via}).status_code

        assert [start("192.0.2.1"), start("192.0.2.1"), start("192.0.2.1")] == [201, 201, 429]
        assert start("192.0.2.2") == 201


def test_parallel_guesses_cannot_outrun_the_budget(serve: Serve) -> None:
    server, _ = serve(login_failures_per_ip=5)

    def guess(n: int) -> int:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            return _login(http, f"burst{n}@ridgeline.test", "nope-nope").status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = sorted(pool.map(guess, range(12)))
    assert codes == [401] * 5 + [429] * 7
