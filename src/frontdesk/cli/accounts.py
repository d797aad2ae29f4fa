"""frontdesk users create | set-password | list and frontdesk apikeys create | list | revoke."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.table import Table

from frontdesk.accounts.roles import ROLES
from frontdesk.cli.common import console, data_dir_option, print_json, run_with_runtime

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime


@click.group()
def users() -> None:
    """Team members who sign in to the inbox."""


@users.command("create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters (asked for when left out).",
)
@click.option("--role", type=click.Choice(ROLES), default="owner", show_default=True)
@click.option("--name", help="Display name [default: the part of the email before @].")
@data_dir_option
@click.pass_context
def create_user(ctx: click.Context, email: str, password: str, role: str, name: str | None) -> None:
    """Create a member of the workspace (the first one is usually the owner)."""
    from frontdesk.accounts.service import create_member

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction() as session:
            member = await create_member(
                session, workspace_id, email, password, role=role, name=name
            )
        console.print(
            f"Created {member.role} [bold]{member.email}[/bold]. "
            f"Sign in at http://{runtime.settings.host}:{runtime.settings.port}/inbox",
            highlight=False,
        )

    run_with_runtime(ctx, work)


@users.command("set-password")
@click.option("--email", required=True, help="Sign-in email address of the member.")
@click.option(
    "--password",
    prompt="New password",
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters (asked for, hidden, when left out).",
)
@data_dir_option
@click.pass_context
def set_password(ctx: click.Context, email: str, password: str) -> None:
    """Set a member's password (a forgotten one); signs them out everywhere."""
    from frontdesk.accounts.service import reset_password

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction() as session:
            member = await reset_password(session, email, password)
        console.print(
            f"New password set for [bold]{member.email}[/bold]; their sessions have ended.",
            highlight=False,
        )

    run_with_runtime(ctx, work)


@users.command("list")
@data_dir_option
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """List the workspace's members."""
    from frontdesk.accounts.service import list_members

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.session() as session:
            members = await list_members(session, workspace_id)
        table = Table("email", "name", "role")
        for member in members:
            table.add_row(member.email, member.name, member.role)
        console.print(table)

    run_with_runtime(ctx, work)


@click.group()
def apikeys() -> None:
    """Workspace API keys (Authorization: Bearer ...)."""


@apikeys.command("create")
@click.option("--name", default="cli", show_default=True, help="What the key is for.")
@click.option("--json", "as_json", is_flag=True, help='Print {"key": ...} as JSON.')
@data_dir_option
@click.pass_context
def create_key(ctx: click.Context, name: str, as_json: bool) -> None:
    """Create an API key; it is shown this once and stored only as a hash."""
    from frontdesk.accounts import apikeys as keys

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction() as session:
            issued = await keys.create_api_key(session, workspace_id, name)
        if as_json:
            print_json({"key": issued.key, "id": issued.api_key.id, "name": issued.api_key.name})
        else:
            click.echo(issued.key)
            click.echo("Store it now: it is not shown again.", err=True)

    run_with_runtime(ctx, work)


@apikeys.command("list")
@data_dir_option
@click.pass_context
def list_keys(ctx: click.Context) -> None:
    """List API keys (names and prefixes only)."""
    from frontdesk.accounts import apikeys as keys

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.session() as session:
            rows = await keys.list_api_keys(session, workspace_id)
        table = Table("id", "name", "prefix", "created", "last used")
        for key in rows:
            table.add_row(
                key.id,
                key.name,
                key.prefix + "…",
                str(key.created_at)[:19],
                str(key.last_used_at or "never")[:19],
            )
        console.print(table)

    run_with_runtime(ctx, work)


@apikeys.command("revoke")
@click.argument("key_id")
@data_dir_option
@click.pass_context
def revoke_key(ctx: click.Context, key_id: str) -> None:
    """Revoke an API key by id."""
    from frontdesk.accounts import apikeys as keys
    from frontdesk.accounts.caller import Caller

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction() as session:
            caller = Caller(workspace_id=workspace_id, role="owner", via="local")
            await keys.revoke_api_key(session, caller, key_id)
        console.print(f"Revoked {key_id}.")

    run_with_runtime(ctx, work)
