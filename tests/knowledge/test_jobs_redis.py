"""Ingestion jobs through Redis: servers that only send jobs, `frontdesk worker` processes
that run them, and the database deciding what is done.

Real parts only: a redis-server of the test's own, the app under uvicorn, workers started as
the console command, and an embeddings endpoint on loopback that holds back any batch
mentioning HELD until the test lets it go (so a worker is busy, or killed, mid-ingestion
when the test says).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app_fixtures import Accounts, api_client, new_agent, with_database
from factories import make_csv
from frontdesk.app import create_app
from frontdesk.jobs.queue import GROUP, LISTEN_RETRY_S, STREAM, Jobs
from frontdesk.knowledge.ingestion import JOB
from frontdesk.settings import Settings
from redis_server import RedisServer
from slow_embeddings import SlowEmbeddings
from support import ServerThread, wait_for_source, wait_until

pytestmark = pytest.mark.slow

HELD = "Snowmobile catalogue"
ROWS = 40
# A worker imports the whole product before it listens: tens of seconds on a loaded machine.
STARTUP_S = 240


class Worker:
    """`frontdesk worker` in a process of its own, its log in a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        exe = Path(sys.executable).with_name("frontdesk")
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(exe), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def embeddings() -> Iterator[SlowEmbeddings]:
    with SlowEmbeddings(HELD) as api:
        yield api


@pytest.fixture
def settings(
    tmp_path: Path, migrated_database: Path, redis_server: RedisServer, embeddings: SlowEmbeddings
) -> Settings:
    """A server's settings: jobs go to Redis and it runs none of them."""
    return with_database(
        Settings(
            data_dir=tmp_path / "data",
            embedder="openai",
            embedding_url=embeddings.url,
            embedding_model="slow-embed",
            redis_url=redis_server.url,
            run_jobs=False,
            ingest_retry_delays_s=[],
        ),
        migrated_database,
    )


@pytest.fixture
def worker_env(settings: Settings, embeddings: SlowEmbeddings) -> dict[str, str]:
    """The same installation, seen from a worker process (a short lease: recovery is tested)."""
    assert settings.redis_url is not None
    return {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(settings.data_dir),
        "FRONTDESK_REDIS_URL": settings.redis_url.get_secret_value(),
        "FRONTDESK_EMBEDDER": "openai",
        "FRONTDESK_EMBEDDING_URL": embeddings.url,
        "FRONTDESK_EMBEDDING_MODEL": "slow-embed",
        "FRONTDESK_INGEST_WORKERS": "1",
        "FRONTDESK_INGEST_LEASE_S": "2",
        "FRONTDESK_JOBS_SWEEP_S": "0.5",
        "FRONTDESK_INGEST_RETRY_DELAYS_S": "[1]",
    }


@pytest.fixture
def server(settings: Settings, embeddings: SlowEmbeddings) -> Iterator[ServerThread]:
    with ServerThread(create_app(settings)) as running:
        try:
            yield running
        finally:
            embeddings.release()


@pytest.fixture
def http(server: ServerThread, settings: Settings) -> Iterator[httpx.Client]:
    with api_client(server, Accounts(settings)) as client:
        yield client


@pytest.fixture
def workers(tmp_path: Path, worker_env: dict[str, str]) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def _start(workers: list[Worker], env: dict[str, str], tmp_path: Path) -> Worker:
    worker = Worker(env, tmp_path / f"worker{len(workers) + 1}.log")
    workers.append(worker)
    return worker


def _group(redis: RedisServer) -> dict[str, Any]:
    groups = redis.client().xinfo_groups(STREAM)
    (group,) = [g for g in groups if g["name"].decode() == GROUP]
    return dict(group)


def _settled(redis: RedisServer, sent: int) -> bool:
    """Every job sent was delivered to a worker and acknowledged by it."""
    group = _group(redis)
    return group["entries-read"] == sent and group["pending"] == 0


def _upload(http: httpx.Client, agent_id: str, name: str, data: bytes) -> str:
    response = http.post(f"/api/v1/agents/{agent_id}/sources/files", files={"file": (name, data)})
    assert response.status_code == 202, response.text
    return str(response.json()[0]["id"])


def _catalogue() -> bytes:
    return make_csv([["Item", "Note"]] + [[f"Sled {n}", f"{HELD} entry {n}"] for n in range(ROWS)])


def _send_again(settings: Settings, source_id: str) -> None:
    """The same job once more, as a retried delivery or a second sender would."""

    async def send() -> None:
        jobs = Jobs(settings, concurrency=1)
        jobs.register(JOB, _never_here)
        try:
            await jobs.send(JOB, source_id)
        finally:
            await jobs.close()

    asyncio.run(send())


async def _never_here(source_id: str) -> None:
    raise AssertionError("this process only sends")


def _finished(worker: Worker, source_id: str) -> int:
    return worker.output().count(f"source {source_id}: ready")


def test_a_server_that_only_sends_jobs_leaves_ingestion_to_a_worker(
    http: httpx.Client,
    redis_server: RedisServer,
    workers: list[Worker],
    worker_env: dict[str, str],
    tmp_path: Path,
) -> None:
    agent = new_agent(http)
    source = _upload(http, agent, "hours.md", b"# Hours\n\nOpen 8:00 to 17:30, Monday to Saturday.")
    # The job waits in Redis; the server reads none.
    assert http.get(f"/api/v1/sources/{source}").json()["status"] == "queued"
    assert redis_server.client().xlen(STREAM) == 1
    assert _group(redis_server)["last-delivered-id"] == b"0-0"  # nobody has read it

    worker = _start(workers, worker_env, tmp_path)
    final = wait_for_source(http, source, timeout=STARTUP_S)
    assert (final["status"], final["chunk_count"], final["error"]) == ("ready", 1, None)
    assert wait_until(lambda: _settled(redis_server, 1), timeout=30, what="the job acknowledged")
    assert _finished(worker, source) == 1
    assert worker.stop() == 0  # SIGTERM: a clean stop


def test_a_duplicate_job_taken_by_a_second_worker_finds_the_source_taken(
    http: httpx.Client,
    settings: Settings,
    redis_server: RedisServer,
    embeddings: SlowEmbeddings,
    workers: list[Worker],
    worker_env: dict[str, str],
    tmp_path: Path,
) -> None:
    first = _start(workers, worker_env, tmp_path)
    second = _start(workers, worker_env, tmp_path)
    agent = new_agent(http)
    source = _upload(http, agent, "catalogue.csv", _catalogue())
    assert wait_until(embeddings.holding.is_set, timeout=STARTUP_S, what="a worker embedding it")
    # One worker holds the source and has no free slot; the duplicate goes to the other.
    _send_again(settings, source)
    assert wait_until(lambda: _settled_but_one(redis_server), timeout=30, what="the duplicate")
    assert http.get(f"/api/v1/sources/{source}").json()["status"] == "processing"

    embeddings.release()
    final = wait_for_source(http, source, timeout=STARTUP_S)
    assert (final["status"], final["chunk_count"]) == ("ready", ROWS)
    assert wait_until(lambda: _settled(redis_server, 2), timeout=30, what="both jobs acknowledged")
    assert _finished(first, source) + _finished(second, source) == 1


def _settled_but_one(redis: RedisServer) -> bool:
    """Both jobs delivered, and only the one being worked on not yet acknowledged."""
    group = _group(redis)
    return group["entries-read"] == 2 and group["pending"] == 1


def test_a_killed_workers_source_is_taken_up_by_another(
    http: httpx.Client,
    redis_server: RedisServer,
    embeddings: SlowEmbeddings,
    workers: list[Worker],
    worker_env: dict[str, str],
    tmp_path: Path,
) -> None:
    doomed = _start(workers, worker_env, tmp_path)
    agent = new_agent(http)
    source = _upload(http, agent, "catalogue.csv", _catalogue())
    assert wait_until(embeddings.holding.is_set, timeout=STARTUP_S, what="the worker embedding it")
    doomed.kill()  # SIGKILL mid-ingestion: no clean-up of any kind
    assert http.get(f"/api/v1/sources/{source}").json()["status"] == "processing"
    embeddings.release()

    rescuer = _start(workers, worker_env, tmp_path)
    final = wait_for_source(http, source, timeout=STARTUP_S)
    assert (final["status"], final["chunk_count"], final["error"]) == ("ready", ROWS, None)
    assert _finished(rescuer, source) == 1


def test_a_consumer_whose_redis_is_down_waits_between_attempts(
    settings: Settings, own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """taskiq's receiver would retry at once, a busy loop writing a traceback each turn."""
    connected = settings.model_copy(update={"redis_url": SecretStr(own_redis_server.url)})

    def attempts() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.message.startswith("Exception found while listen")]

    async def consume_while_down() -> list[float]:
        jobs = Jobs(connected, concurrency=1)
        jobs.register(JOB, _never_here)
        await jobs.start(consume=True)
        own_redis_server.kill()
        try:
            while len(attempts()) < 3:
                await asyncio.sleep(0.05)
        finally:
            await jobs.close()
        return [record.created for record in attempts()]

    with caplog.at_level(logging.WARNING, logger="taskiq.receiver"):
        first, second, third = asyncio.run(consume_while_down())[:3]
    assert second - first >= LISTEN_RETRY_S * 0.9 and third - second >= LISTEN_RETRY_S * 0.9
