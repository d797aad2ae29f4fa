"""A throwaway Redis for tests: /usr/bin/redis-server on a free loopback port in a temp dir.

Nothing is saved (``--save '' --appendonly no``), so a restart starts empty, as a Redis that
lost its memory would. A machine without a running Redis needs only the binary (Debian's
``redis-server``); without it the tests that need Redis are skipped.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from support import free_port, wait_until

BINARY = shutil.which("redis-server") or "/usr/bin/redis-server"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process; ``kill()`` and ``start()`` again keep its port."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                BINARY,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _answers(self.port), timeout=10, what="redis-server to start")
        return self

    def kill(self) -> None:
        """SIGKILL: every client connection drops at once, and everything stored is gone."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        """A plain client, to look at what the product left in Redis."""
        return redis.Redis(host="127.0.0.1", port=self.port)

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(b"FLUSHALL\r\n")
            assert conn.recv(16).startswith(b"+OK")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def redis_server_at(folder: Path) -> RedisServer:
    if not Path(BINARY).exists():
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    return RedisServer(folder).start()


@pytest.fixture(scope="session")
def redis_session() -> Iterator[RedisServer]:
    """One Redis for the session."""
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-redis-"))
    server = redis_server_at(folder)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_server(redis_session: RedisServer) -> RedisServer:
    """The session's Redis, emptied for this test."""
    redis_session.flush()
    return redis_session


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, to kill and restart."""
    server = redis_server_at(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()
