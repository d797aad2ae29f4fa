"""BackgroundTasks: failures are logged and let go; close() cancels and waits; drain() waits."""

from __future__ import annotations

import asyncio
import logging

import pytest

from frontdesk.tasks import BackgroundTasks

log = logging.getLogger("tests.tasks")


async def test_a_failing_task_is_logged_under_its_name_and_let_go(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks(log)

    async def broken() -> None:
        raise RuntimeError("the disk is full")

    with caplog.at_level(logging.ERROR, logger="tests.tasks"):
        task = tasks.spawn(broken(), name="reply-conv_1")
        await tasks.drain()
    assert task.done() and len(tasks) == 0
    [record] = caplog.records
    assert record.getMessage() == "reply-conv_1 failed"
    assert record.exc_info is not None and "the disk is full" in str(record.exc_info[1])


async def test_close_cancels_pending_tasks_and_waits_until_they_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks(log)
    started = asyncio.Event()
    cleaned_up: list[str] = []

    async def forever(name: str) -> None:
        try:
            started.set()
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)  # clean-up that itself awaits is waited for too
            cleaned_up.append(name)

    tasks.spawn(forever("a"))
    tasks.spawn(forever("b"))
    await started.wait()
    with caplog.at_level(logging.ERROR, logger="tests.tasks"):
        await tasks.close()
    assert sorted(cleaned_up) == ["a", "b"]
    assert len(tasks) == 0
    assert caplog.records == []  # a cancelled task is not a failure


async def test_drain_waits_for_tasks_started_while_draining() -> None:
    tasks = BackgroundTasks(log)
    done: list[int] = []

    async def step(n: int) -> None:
        await asyncio.sleep(0)
        if n < 3:
            tasks.spawn(step(n + 1))
        done.append(n)

    tasks.spawn(step(1))
    await tasks.drain()
    assert done == [1, 2, 3]
