"""A real Redis for the job tests: Debian's redis-server on a free port in a temporary folder.

One server a session; each test gets it emptied. Skipped where redis-server is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import free_port, wait_until

REDIS_SERVER = "/usr/bin/redis-server"


class RedisServer:
    def __init__(self, folder: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or REDIS_SERVER,
                *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder)),
                *("--save", "", "--appendonly", "no", "--protected-mode", "yes"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        self.client = redis.Redis(port=self.port)
        wait_until(self._answers, timeout=20, what="redis-server to answer")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        import redis

        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.process.returncode}")
        try:
            return bool(self.client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture(scope="session")
def redis_jobs_server() -> Iterator[RedisServer]:
    if not (shutil.which("redis-server") or Path(REDIS_SERVER).exists()):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    pytest.importorskip("taskiq_redis", reason="the redis extra is not installed")
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-redis-"))
    server = RedisServer(folder)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_jobs(redis_jobs_server: RedisServer) -> RedisServer:
    """The session's Redis, emptied: no job of an earlier test reaches this one's workers."""
    redis_jobs_server.client.flushall()
    return redis_jobs_server
