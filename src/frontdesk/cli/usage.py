"""frontdesk usage: metered usage of a workspace by month."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Column, Table

from frontdesk.cli.common import console, data_dir_option, print_json, run_with_runtime

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime
    from frontdesk.usage.schemas import UsageReport


@click.command()
@click.option("--workspace", "slug", help="Workspace slug [the default workspace].")
@click.option("--from", "first", metavar="YYYY-MM", help="Oldest month [11 before --to].")
@click.option("--to", "last", metavar="YYYY-MM", help="Newest month [this month].")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@data_dir_option
@click.pass_context
def usage(
    ctx: click.Context, slug: str | None, first: str | None, last: str | None, as_json: bool
) -> None:
    """Conversations, visitor messages, AI answers and tokens per UTC month; then the AI
    answers and their prompt and completion tokens by generator and model."""
    from frontdesk.accounts.service import workspace_id_by_slug
    from frontdesk.usage.meter import COUNTERS, MODEL_COUNTERS
    from frontdesk.usage.service import usage_report

    async def work(runtime: Runtime, default_workspace_id: str) -> UsageReport:
        async with runtime.db.session() as session:
            workspace_id = await workspace_id_by_slug(session, slug) if slug else None
            return await usage_report(session, workspace_id or default_workspace_id, first, last)

    report = run_with_runtime(ctx, work)
    if as_json:
        print_json(report.model_dump(mode="json", by_alias=True))
        return
    table = Table("month", *(Column(name.replace("_", " "), justify="right") for name in COUNTERS))
    for month in report.months:
        table.add_row(month.month, *(f"{getattr(month, name):,}" for name in COUNTERS))
    table.add_section()
    table.add_row("total", *(f"{getattr(report.totals, name):,}" for name in COUNTERS))
    console.print(table)
    if report.totals.models:
        numbers = [Column(name.replace("_", " "), justify="right") for name in MODEL_COUNTERS]
        models = Table("generator", "model", *numbers, title="AI answers by model")
        for row in report.totals.models:
            counts = (f"{getattr(row, name):,}" for name in MODEL_COUNTERS)
            models.add_row(escape(row.generator), escape(row.model) or "-", *counts)
        console.print(models)
