"""Test helpers: a real uvicorn server in a thread, waiting for background work, and the
statements a database is sent."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from sqlalchemy import event
from sqlalchemy.engine import Engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """Runs an ASGI app under uvicorn on a loopback port for the duration of a test."""

    def __init__(self, app: Any, **options: Any):
        """``options`` are uvicorn.Config's (e.g. cli.serve.server_options); host/port are ours."""
        self.port = free_port()
        # proxy_headers=False as `frontdesk serve` runs it: the app trusts proxies by setting.
        defaults = {"log_level": "warning", "lifespan": "on", "proxy_headers": False}
        config = uvicorn.Config(
            app, **{**defaults, **options, "host": "127.0.0.1", "port": self.port}
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=30, what="server start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        # A server that outlives its test keeps running beside the next ones.
        assert not self.thread.is_alive(), "the server thread did not stop within 30 s"


def wait_until(check: Callable[[], Any], *, timeout: float = 60, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_for_source(client: httpx.Client, source_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll the API until a source leaves queued/processing; returns its final state."""

    def settled() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/v1/sources/{source_id}").json()
        return body if body["status"] in ("ready", "failed") else None

    result: dict[str, Any] = wait_until(settled, timeout=timeout, what=f"source {source_id}")
    return result


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent through ``engine`` inside the block, whitespace collapsed."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(" ".join(sql.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)
