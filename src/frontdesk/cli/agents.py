"""frontdesk agents create | list | delete."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from frontdesk.cli.common import console, data_dir_option, print_json, run_with_runtime

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime


@click.group()
def agents() -> None:
    """Create and list agents."""


@agents.command("create")
@click.argument("name")
@click.option("--greeting", help="First message the widget shows.")
@click.option("--threshold", type=click.FloatRange(0, 1), help="Confidence threshold (0-1).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@data_dir_option
@click.pass_context
def create(
    ctx: click.Context, name: str, greeting: str | None, threshold: float | None, as_json: bool
) -> None:
    """Create an agent and print its id and public widget key."""
    from frontdesk.agents import service

    async def work(runtime: Runtime, workspace_id: str) -> dict[str, str]:
        async with runtime.db.transaction() as session:
            agent = await service.create_agent(
                session,
                workspace_id,
                name,
                default_threshold=runtime.settings.default_confidence_threshold,
                greeting=greeting,
                confidence_threshold=threshold,
            )
            return {"id": agent.id, "name": agent.name, "public_key": agent.public_key}

    result = run_with_runtime(ctx, work)
    if as_json:
        print_json(result)
    else:
        console.print(f"Created agent [bold]{result['name']}[/bold]", highlight=False)
        console.print(f"  id:         {result['id']}", highlight=False)
        console.print(f"  public key: {result['public_key']}", highlight=False)


@agents.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_dir_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the workspace's agents."""
    from frontdesk.agents import service

    async def work(runtime: Runtime, workspace_id: str) -> list[dict[str, object]]:
        async with runtime.db.session() as session:
            return [
                {
                    "id": a.id,
                    "name": a.name,
                    "public_key": a.public_key,
                    "confidence_threshold": a.confidence_threshold,
                    "generator": a.generator,
                }
                for a in await service.list_agents(session, workspace_id)
            ]

    rows = run_with_runtime(ctx, work)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No agents yet. Create one with: frontdesk agents create NAME")
        return
    table = Table("name", "id", "public key", "threshold", "generator")
    for row in rows:
        table.add_row(
            *(
                str(row[k])
                for k in ("name", "id", "public_key", "confidence_threshold", "generator")
            )
        )
    console.print(table)


@agents.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@data_dir_option
@click.pass_context
def delete(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete an agent with all its sources and chunks."""
    if not yes:
        click.confirm(f"Delete agent '{name}' and all its knowledge?", abort=True)
    from frontdesk.agents import service

    async def work(runtime: Runtime, workspace_id: str) -> None:
        async with runtime.db.transaction(bulk=True) as session:
            agent = await service.find_agent(session, workspace_id, name)
            await service.delete_agent(session, agent, runtime.settings.uploads_dir)

    run_with_runtime(ctx, work)
    console.print(f"Deleted agent {name}.", highlight=False)


@agents.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@click.pass_context
def import_(ctx: click.Context, file: Path) -> None:
    """Create or update (by name) an agent from a YAML agent file."""
    from frontdesk.agents import configfile

    async def work(runtime: Runtime, workspace_id: str) -> tuple[str, bool]:
        spec = configfile.read_agent_file(file)
        async with runtime.db.transaction() as session:
            agent, created = await configfile.import_agent(
                session, workspace_id, spec, runtime.settings.default_confidence_threshold
            )
            return agent.name, created

    name, created = run_with_runtime(ctx, work)
    console.print(
        f"{'Created' if created else 'Updated'} agent [bold]{name}[/bold]", highlight=False
    )


@agents.command("export")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@data_dir_option
@click.pass_context
def export(ctx: click.Context, name: str, output: Path | None) -> None:
    """Print an agent (by name or id) as a YAML agent file."""
    from frontdesk.agents import configfile, service

    async def work(runtime: Runtime, workspace_id: str) -> str:
        async with runtime.db.session() as session:
            return configfile.export_agent(await service.find_agent(session, workspace_id, name))

    text = run_with_runtime(ctx, work)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
