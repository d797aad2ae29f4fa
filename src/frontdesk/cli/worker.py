"""frontdesk worker: run background jobs from Redis, without the HTTP server."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import click

from frontdesk.cli.common import console, settings_from

if TYPE_CHECKING:
    from frontdesk.settings import Settings


async def run_worker(settings: Settings) -> None:
    """Take jobs until SIGTERM or SIGINT; a source in hand is queued again for the next one."""
    from frontdesk.runtime import Runtime  # the whole product: only when a worker runs

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runtime = Runtime(settings)
    try:
        await runtime.start()
        await runtime.broker.start()  # events wake the alert dispatcher here too
        await runtime.start_jobs(consume=True)
        await stop.wait()
    finally:
        await runtime.close()


@click.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run background jobs (ingestion, re-syncs, webhooks, emails, HTTP actions) taken from
    Redis (FRONTDESK_REDIS_URL)."""
    settings = settings_from(ctx)
    if settings.redis_url is None:
        raise click.UsageError(
            "frontdesk worker takes its jobs from Redis: set FRONTDESK_REDIS_URL. Without "
            "Redis, `frontdesk serve` runs the jobs itself."
        )
    from frontdesk.cli.memory import cap_malloc_arenas
    from frontdesk.logs import configure_logging

    cap_malloc_arenas()
    configure_logging(settings)
    from frontdesk.runtime import OUTBOUND_SLOTS

    console.print(
        f"Frontdesk worker: {settings.ingest_workers} ingestion slots, "
        f"{OUTBOUND_SLOTS} for webhooks, emails and HTTP actions"
    )
    asyncio.run(run_worker(settings))
