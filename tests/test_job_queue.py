"""The job queue in its in-process mode (taskiq's InMemoryBroker): what shutdown does to a
running job, and what a failing job leaves in the log."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from frontdesk.jobs.queue import Jobs
from frontdesk.settings import Settings


async def _running(tmp_path: Path, job: object) -> tuple[Jobs, asyncio.Event]:
    jobs = Jobs(Settings(data_dir=tmp_path), concurrency=1)
    started = asyncio.Event()

    async def handler() -> None:
        started.set()
        await job()  # type: ignore[operator]

    jobs.register("job", handler)
    await jobs.start(consume=False)
    await jobs.send("job")
    await started.wait()
    return jobs, started


async def test_a_job_stopped_by_shutdown_is_not_logged_as_a_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    forever = asyncio.Event()
    jobs, _ = await _running(tmp_path, forever.wait)
    with caplog.at_level(logging.INFO):
        await jobs.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "job job stopped at shutdown" in caplog.text
    assert not jobs._running


async def test_a_failing_job_is_still_logged_as_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def fails() -> None:
        raise RuntimeError("the receiver answered 500")

    with caplog.at_level(logging.INFO):
        jobs, _ = await _running(tmp_path, fails)
        await jobs.drain()
        await jobs.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info is not None
    assert "the receiver answered 500" in str(errors[0].exc_info[1])
