"""frontdesk ask --agent NAME "question" [--json]."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from frontdesk.cli.common import console, data_dir_option, print_json, run_with_runtime

if TYPE_CHECKING:
    from frontdesk.answering.schemas import AnswerOut
    from frontdesk.runtime import Runtime


@click.command()
@click.option("--agent", "agent_name", required=True, help="Agent name or id.")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer object as JSON.")
@data_dir_option
@click.pass_context
def ask(ctx: click.Context, agent_name: str, question: str, as_json: bool) -> None:
    """Ask an agent a question, as a visitor would."""
    from frontdesk.agents import service

    async def work(runtime: Runtime, workspace_id: str) -> AnswerOut:
        async with runtime.db.session() as session:
            agent = await service.find_agent(session, workspace_id, agent_name)
        return await runtime.replies.respond(agent, question)

    result = run_with_runtime(ctx, work)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    click.echo(result.answer)
    for i, c in enumerate(result.citations, start=1):
        where = f" ({c.location})" if c.location else ""
        click.echo(f"  [{i}] {c.source}{where}")
    note = f"confidence {result.confidence:.2f}"
    if result.handoff.triggered:
        note += f" · handoff: {result.handoff.reason}"
    console.print(note, style="dim", highlight=False, markup=False)
