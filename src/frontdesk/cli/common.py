"""Shared CLI plumbing: settings from options, a started runtime, errors as messages.

The command modules import the runtime and the domains inside their commands, so
`frontdesk --help` starts without loading models, SDKs or the ORM (tests/cli/test_startup.py).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from frontdesk.errors import FrontdeskError

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime
    from frontdesk.settings import Settings

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def _remember_data_dir(
    ctx: click.Context, _param: click.Parameter, value: Path | None
) -> Path | None:
    if value is not None:
        ctx.ensure_object(dict)["data_dir"] = value
    return value


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    expose_value=False,
    is_eager=True,
    callback=_remember_data_dir,
    help="Directory for the database and uploads [env FRONTDESK_DATA_DIR; ./frontdesk-data].",
)


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    from frontdesk.settings import Settings

    values: dict[str, Any] = {}
    root = ctx.find_object(dict) or {}
    if root.get("data_dir") is not None:
        values["data_dir"] = root["data_dir"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def run_with_runtime(
    ctx: click.Context, work: Callable[[Runtime, str], Awaitable[T]], **overrides: Any
) -> T:
    """Start a runtime (migrate, default workspace), run ``work``, close it; errors exit 1."""

    from frontdesk.runtime import Runtime

    async def main() -> T:
        runtime = Runtime(settings_from(ctx, **overrides))
        try:
            workspace = await runtime.start()
            return await work(runtime, workspace.id)
        finally:
            await runtime.close()

    try:
        return asyncio.run(main())
    except FrontdeskError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(1)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))
