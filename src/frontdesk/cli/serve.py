"""frontdesk serve and frontdesk demo."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from frontdesk.cli.common import console, err_console, settings_from

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from frontdesk.settings import Settings

DEMO_DIR = Path("./frontdesk-demo")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for ``frontdesk serve`` (the tests' servers run with them too)."""
    from frontdesk.web.bounded_http import bounded_httptools

    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        # The app reads proxy headers itself, from FRONTDESK_TRUSTED_PROXIES only
        # (web/clientip.py); uvicorn's own default would trust X-Forwarded-For from 127.0.0.1.
        "proxy_headers": False,
        # Either parser bounds the request line and headers, so a client cannot grow a
        # connection's buffer with a 64 MB header (httptools through web/bounded_http.py).
        "http": (
            bounded_httptools(settings.max_header_kb * 1024)
            if settings.http_parser == "httptools"
            else "h11"
        ),
        "h11_max_incomplete_event_size": settings.max_header_kb * 1024,
        "timeout_keep_alive": settings.keep_alive_s,
        # Clients send only small JSON frames on the sockets (typing, the widget's hello).
        "ws_max_size": settings.ws_max_message_kb * 1024,
        # Off by default: an event goes to every inbox socket of a workspace, and compressing
        # it once per socket cost 5-10% of the server's CPU per message in
        # bench/live.py (and a zlib context kept per open socket).
        "ws_per_message_deflate": settings.ws_compression,
        # JSON lines: uvicorn's loggers keep no handlers of their own and reach ours.
        **({"log_config": None} if settings.log_format == "json" else {}),
    }


def _serve(settings: Settings) -> None:
    import uvicorn

    from frontdesk.app import create_app
    from frontdesk.cli.memory import cap_malloc_arenas, freeze_startup_objects
    from frontdesk.logs import configure_logging

    cap_malloc_arenas()
    configure_logging(settings)
    if settings.workers > 1:
        _serve_processes(settings)
        return
    app = create_app(settings)
    freeze_startup_objects()
    uvicorn.run(app, **server_options(settings))


def _serve_processes(settings: Settings) -> None:
    """``settings.workers`` server processes on one port: uvicorn's supervisor binds it,
    starts each process (each runs the whole app, background work included: what several
    processes might do twice is claimed in the database) and starts a new one when one dies."""
    import uvicorn

    from frontdesk.runtime import Runtime

    async def prepare() -> None:
        # Migrated and given its workspace once, before the processes start side by side.
        runtime = Runtime(settings)
        try:
            await runtime.start()
        finally:
            await runtime.close()

    asyncio.run(prepare())
    _shared_metrics(settings)
    # Each process reads its settings from the environment (worker_app), as this one did;
    # what the command line set goes there too.
    os.environ["FRONTDESK_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["FRONTDESK_HOST"] = settings.host
    os.environ["FRONTDESK_PORT"] = str(settings.port)
    uvicorn.run(
        f"{__name__}:worker_app",
        factory=True,
        workers=settings.workers,
        **server_options(settings),
    )


def _shared_metrics(settings: Settings) -> None:
    """Each process writes its metrics into one folder, emptied first, that every scrape
    adds up (prometheus-client's multiprocess mode); an operator's own folder is used as is."""
    from frontdesk.metrics import MULTIPROCESS_DIR

    folder = Path(os.environ.get(MULTIPROCESS_DIR) or settings.data_dir.resolve() / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):  # a previous run's processes
        old.unlink()
    os.environ[MULTIPROCESS_DIR] = str(folder)


def worker_app() -> ASGIApp:
    """The app of one of `frontdesk serve --workers N`'s processes."""
    from frontdesk.app import create_app
    from frontdesk.cli.memory import freeze_startup_objects
    from frontdesk.logs import configure_logging
    from frontdesk.settings import Settings

    settings = Settings()
    configure_logging(settings)
    app = create_app(settings)
    freeze_startup_objects()
    return app


WORKERS_NEED_REDIS = (
    "--workers {n} needs FRONTDESK_REDIS_URL. Without Redis each process hears only its own "
    "events, so a message written through one would not reach inbox and widget sockets "
    "connected to another, and presence and rate limits would be counted per process. Set "
    "FRONTDESK_REDIS_URL (every process then shares one Redis), or run one process."
)


@click.command()
@click.option("--host", help="Interface to bind [env FRONTDESK_HOST; default 127.0.0.1].")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port [env FRONTDESK_PORT; default 8000]."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Server processes sharing the port [env FRONTDESK_WORKERS; default 1]. More than "
    "one needs FRONTDESK_REDIS_URL; on SQLite they take turns at its one writer, so use "
    "PostgreSQL to scale writes.",
)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the HTTP server (inbox at /inbox, widget at /widget.js, API docs at /docs)."""
    settings = settings_from(ctx, host=host, port=port, workers=workers)
    if settings.workers > 1 and settings.redis_url is None:
        raise click.UsageError(WORKERS_NEED_REDIS.format(n=settings.workers))
    processes = f", {settings.workers} processes" if settings.workers > 1 else ""
    console.print(
        f"Frontdesk on http://{settings.host}:{settings.port}  "
        f"(data: {settings.data_dir}{processes})"
    )
    _serve(settings)


@click.command()
@click.option("--host", help="Interface to bind [default 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port [default 8000].")
@click.option(
    "--no-serve", is_flag=True, help="Only create the demo data, do not start the server."
)
@click.pass_context
def demo(ctx: click.Context, host: str | None, port: int | None, no_serve: bool) -> None:
    """Create a demo dealership agent with sample content and serve it."""
    from frontdesk.demo.seed import AGENT_NAME, DEMO_EMAIL, DEMO_PASSWORD, seed_demo
    from frontdesk.runtime import Runtime

    root = ctx.find_object(dict) or {}
    data_dir = None if root.get("data_dir") else DEMO_DIR
    settings = settings_from(ctx, host=host, port=port, data_dir=data_dir, demo_agent=AGENT_NAME)
    if not no_serve and settings.host not in LOOPBACK:
        raise click.UsageError(
            f"The demo signs in with a published password, so it only listens on loopback "
            f"(not {settings.host}). For a real deployment create users and use `frontdesk serve`."
        )

    async def prepare() -> None:
        runtime = Runtime(settings)
        try:
            workspace = await runtime.start()
            agent, results = await seed_demo(runtime, workspace.id)
        finally:
            await runtime.close()
        for result in results:
            state = "unchanged" if result.skipped else result.status
            err_console.print(
                f"  {result.source_id}: {state}, {result.chunks} chunks", highlight=False
            )
        console.print(
            f"Demo agent [bold]{agent.name}[/bold] is ready (data in {settings.data_dir})."
        )

    asyncio.run(prepare())
    # Plain echo: a command to copy must not be wrapped at the terminal width.
    click.echo(
        "Try it:\n"
        f"  frontdesk --data-dir {settings.data_dir} ask --agent '{AGENT_NAME}' "
        "'What does the Glacier 850 cost?'"
    )
    base = f"http://{settings.host}:{settings.port}"
    click.echo(
        f"  open {base}/        the dealership site: ask the chat bubble, "
        "then press 'Talk to a person'\n"
        f"  open {base}/inbox   sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}, take over and reply\n"
        f"  API docs at {base}/docs"
    )
    if not no_serve:
        _serve(settings)
