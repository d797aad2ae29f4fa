"""BackgroundTasks: failures are logged and let go; close() cancels and waits; drain() waits."""

from __future__ import annotations

import asyncio
import logging

import pytest

from frontdesk.tasks import BackgroundTasks, Coalescing

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


async def test_close_stops_a_loop_that_swallowed_its_cancellation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks(log)
    turns: list[int] = []
    swallowed: list[bool] = []

    async def heartbeat() -> None:
        while True:
            turns.append(len(turns))
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append(True)  # as a library deep in the turn might, once

    tasks.spawn(heartbeat(), name="heartbeat")
    while len(turns) < 2:
        await asyncio.sleep(0.01)
    with caplog.at_level(logging.WARNING, logger="tests.tasks"):
        await asyncio.wait_for(tasks.close(), timeout=30)
    assert len(tasks) == 0 and swallowed
    assert [r.getMessage() for r in caplog.records][:1] == [
        "cancelling again, still running: heartbeat"
    ]


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


async def test_coalescing_runs_one_task_per_key_and_then_only_the_newest_waiting_work() -> None:
    tasks = BackgroundTasks(log)
    runs = Coalescing(tasks, log)
    release = asyncio.Event()
    ran: list[str] = []
    running: set[str] = set()
    most = 0

    def work(key: str, label: str):
        async def run() -> None:
            nonlocal most
            running.add(label)
            most = max(most, len([r for r in running if r.startswith(key)]))
            ran.append(label)
            await release.wait()
            running.discard(label)

        return run

    for n in range(5):
        runs.submit("conv_a", work("a", f"a{n}"))
    runs.submit("conv_b", work("b", "b0"))
    await asyncio.sleep(0)  # let the first tasks start
    assert runs.running("conv_a") and sorted(ran) == ["a0", "b0"]
    release.set()
    await tasks.drain()
    # The first ran at once, the last waited for it; the three between were replaced.
    assert ran.count("a0") == 1 and "a4" in ran and not {"a1", "a2", "a3"} & set(ran)
    assert most == 1 and not runs.running("conv_a")


async def test_coalescing_goes_on_after_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    tasks = BackgroundTasks(log)
    runs = Coalescing(tasks, log)
    gate = asyncio.Event()
    done: list[str] = []

    async def broken() -> None:
        await gate.wait()
        raise RuntimeError("model down")

    async def fine() -> None:
        done.append("fine")

    with caplog.at_level(logging.ERROR, logger="tests.tasks"):
        runs.submit("summary-conv_1", broken)
        runs.submit("summary-conv_1", fine)
        gate.set()
        await tasks.drain()
    assert done == ["fine"]
    assert [r.getMessage() for r in caplog.records] == ["summary-conv_1 failed"]
