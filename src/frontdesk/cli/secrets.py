"""frontdesk secrets set | list | delete; frontdesk workspace allow-host | disallow-host | hosts."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from rich.table import Table

from frontdesk.cli.common import console, data_dir_option, print_json, run_with_runtime
from frontdesk.errors import FrontdeskError

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime


def read_value(name: str) -> str:
    """The value from a prompt (hidden) at a terminal, else all of stdin less one newline."""
    if sys.stdin.isatty():
        value: str = click.prompt(f"Value for {name}", hide_input=True)
        return value
    text = sys.stdin.read()
    # `echo value |` adds exactly one newline; anything more is the caller's own.
    return text.removesuffix("\n").removesuffix("\r")


@click.group()
def secrets() -> None:
    """Workspace secrets for HTTP actions, used as ${secret:NAME}; stored encrypted."""


@secrets.command("set")
@click.argument("name")
@data_dir_option
@click.pass_context
def set_secret(ctx: click.Context, name: str) -> None:
    """Set NAME from stdin (printf %s value | frontdesk secrets set NAME) or a hidden prompt."""
    from frontdesk.vault import service

    try:
        service.check_name(name)
    except FrontdeskError as exc:
        raise click.BadParameter(exc.message, param_hint="NAME") from None
    value = read_value(name)

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction() as session:
            _, created = await service.put_secret(
                session, runtime.cipher, workspace_id, name, value
            )
        console.print(f"{'Set' if created else 'Replaced'} secret {name}.", highlight=False)

    run_with_runtime(ctx, work)


@secrets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_dir_option
@click.pass_context
def list_secrets(ctx: click.Context, as_json: bool) -> None:
    """List secret names and when each was set (never the values)."""
    from frontdesk.vault import service

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.session() as session:
            rows = await service.list_secrets(session, workspace_id)
        listed = [{"name": row.name, "updated_at": row.updated_at.isoformat()} for row in rows]
        if as_json:
            print_json(listed)
            return
        table = Table("name", "updated")
        for item in listed:
            table.add_row(item["name"], item["updated_at"][:19].replace("T", " "))
        console.print(table)

    run_with_runtime(ctx, work)


@secrets.command("delete")
@click.argument("name")
@data_dir_option
@click.pass_context
def delete_secret(ctx: click.Context, name: str) -> None:
    """Delete a secret; actions that use it fail until it is set again."""
    from frontdesk.vault import service

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction() as session:
            await service.delete_secret(session, workspace_id, name)
        console.print(f"Deleted secret {name}.", highlight=False)

    run_with_runtime(ctx, work)


@click.group()
def workspace() -> None:
    """Workspace settings: the private hosts actions, webhooks and URL sources may reach."""


def _print_hosts(listed: list[str]) -> None:
    if listed:
        click.echo("\n".join(listed))
    else:
        click.echo("No allowed hosts: outbound calls reach public addresses only.", err=True)


@workspace.command("allow-host")
@click.argument("host")
@data_dir_option
@click.pass_context
def allow_host(ctx: click.Context, host: str) -> None:
    """Let outbound calls reach HOST[:PORT] though private or loopback (e.g. 10.0.0.5:8080)."""
    from frontdesk.vault import hosts

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction() as session:
            _print_hosts(await hosts.allow_host(session, workspace_id, host))

    run_with_runtime(ctx, work)


@workspace.command("disallow-host")
@click.argument("host")
@data_dir_option
@click.pass_context
def disallow_host(ctx: click.Context, host: str) -> None:
    """Remove HOST[:PORT] from the allowed hosts."""
    from frontdesk.vault import hosts

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction() as session:
            _print_hosts(await hosts.disallow_host(session, workspace_id, host))

    run_with_runtime(ctx, work)


@workspace.command("hosts")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_dir_option
@click.pass_context
def list_hosts(ctx: click.Context, as_json: bool) -> None:
    """List the allowed hosts, one a line."""
    from frontdesk.vault import hosts

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.session() as session:
            listed = await hosts.allowed_hosts(session, workspace_id)
        if as_json:
            print_json(listed)
        else:
            _print_hosts(listed)

    run_with_runtime(ctx, work)
