"""frontdesk ingest ... and frontdesk sources list | resync | delete."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from frontdesk.cli.common import (
    console,
    data_dir_option,
    err_console,
    print_json,
    run_with_runtime,
    settings_from,
)

if TYPE_CHECKING:
    from frontdesk.knowledge.models import Source
    from frontdesk.knowledge.pipeline import IngestResult, UrlMode
    from frontdesk.runtime import Runtime


def _expand(targets: tuple[str, ...], data_dir: Path) -> tuple[list[Path], list[str], list[str]]:
    """Split targets into files (folders walked), URLs, and skipped names."""
    from frontdesk.knowledge.loaders import is_supported

    data_dir = data_dir.resolve()
    files: list[Path] = []
    urls: list[str] = []
    skipped: list[str] = []
    for target in targets:
        if target.startswith(("http://", "https://")):
            urls.append(target)
            continue
        path = Path(target)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if hidden or child.resolve().is_relative_to(data_dir):
                    continue
                (files.append(child) if is_supported(child.name) else skipped.append(str(child)))
        elif path.is_file():
            files.append(path)
        else:
            raise click.BadParameter(f"'{target}' is neither a file, a folder nor an http(s) URL.")
    return files, urls, skipped


def _source_row(source: Source) -> dict[str, object]:
    return {
        "id": source.id,
        "kind": source.kind,
        "title": source.title,
        "uri": source.uri,
        "status": source.status,
        "error": source.error,
        "chunks": source.chunk_count,
        "synced_at": source.synced_at.isoformat() if source.synced_at else None,
    }


@click.command()
@click.option("--agent", "agent_name", required=True, help="Agent name or id.")
@click.argument("targets", nargs=-1, required=True)
@click.option("--crawl", is_flag=True, help="Treat URLs as crawl roots (same host only).")
@click.option("--sitemap", is_flag=True, help="Treat URLs as sitemaps.")
@click.option("--max-pages", type=click.IntRange(1, 5000), help="Crawl/sitemap page limit.")
@click.option("--max-depth", type=click.IntRange(0, 10), help="Crawl link depth.")
@data_dir_option
@click.pass_context
def ingest(
    ctx: click.Context,
    agent_name: str,
    targets: tuple[str, ...],
    crawl: bool,
    sitemap: bool,
    max_pages: int | None,
    max_depth: int | None,
) -> None:
    """Add files, folders and URLs to an agent's knowledge and process them now."""
    from frontdesk.agents import service

    if crawl and sitemap:
        raise click.UsageError("Use either --crawl or --sitemap, not both.")
    files, urls, skipped = _expand(targets, settings_from(ctx).data_dir)
    mode: UrlMode = "crawl" if crawl else "sitemap" if sitemap else "page"

    async def work(runtime: Runtime, workspace_id: str) -> list[tuple[Source, IngestResult]]:
        for url in urls:
            await runtime.knowledge.check_url(workspace_id, url)
        async with runtime.db.transaction() as session:
            agent = await service.find_agent(session, workspace_id, agent_name)
            sources = [await runtime.knowledge.add_path(session, agent, f) for f in files]
            for url in urls:
                url_mode = "sitemap" if mode == "page" and url.endswith(".xml") else mode
                sources.append(
                    await runtime.knowledge.add_url(
                        session, agent, url, url_mode, max_pages, max_depth
                    )
                )
        results = []
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err_console, transient=False) as progress:
            for source in sources:
                task = progress.add_task(source.title[:50], total=None)

                def update(_label: str, done: int, total: int, task: TaskID = task) -> None:
                    progress.update(task, completed=done, total=total or 1)

                result = await runtime.knowledge.ingest(source.id, progress=update)
                progress.update(
                    task, completed=1, total=1
                ) if result.skipped or result.error else None
                results.append((source, result))
        return results

    results = run_with_runtime(ctx, work)
    table = Table("source", "status", "chunks", "note")
    for source, result in results:
        note = result.error or (
            "unchanged, skipped" if result.skipped else f"{result.embedded} embedded"
        )
        style = "red" if result.status == "failed" else None
        table.add_row(source.title, result.status, str(result.chunks), note, style=style)
    for name in skipped:
        table.add_row(name, "skipped", "0", "unsupported file type", style="yellow")
    console.print(table)
    if any(r.status == "failed" for _, r in results):
        sys.exit(1)


@click.group()
def sources() -> None:
    """List, re-sync and delete knowledge sources."""


@sources.command("list")
@click.option("--agent", "agent_name", required=True, help="Agent name or id.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_dir_option
@click.pass_context
def list_(ctx: click.Context, agent_name: str, as_json: bool) -> None:
    """List an agent's sources with status and chunk count."""
    from frontdesk.agents import service
    from frontdesk.knowledge import repository

    async def work(runtime: Runtime, workspace_id: str) -> list[dict[str, object]]:
        async with runtime.db.session() as session:
            agent = await service.find_agent(session, workspace_id, agent_name)
            return [_source_row(s) for s in await repository.list_sources(session, agent.id)]

    rows = run_with_runtime(ctx, work)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "kind", "title", "status", "chunks", "error")
    for row in rows:
        table.add_row(
            *(str(row[k] or "") for k in ("id", "kind", "title", "status", "chunks", "error"))
        )
    console.print(table)


@sources.command("resync")
@click.argument("source_id", required=False)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every source of the workspace (after switching the embedding model, say).",
)
@data_dir_option
@click.pass_context
def resync(ctx: click.Context, source_id: str | None, every: bool) -> None:
    """Re-read a source now; unchanged content is skipped, changed content replaced atomically.

    A source whose chunks another embedding model embedded is embedded again."""
    from frontdesk.agents import service
    from frontdesk.knowledge import repository

    if every == (source_id is not None):
        raise click.UsageError("Name one source id, or --all for every source.")

    async def work(runtime: Runtime, workspace_id: str) -> list[IngestResult]:
        ids = [source_id] if source_id else []
        if every:
            async with runtime.db.session() as session:
                for agent in await service.list_agents(session, workspace_id):
                    ids += [s.id for s in await repository.list_sources(session, agent.id)]
        results = []
        for one in ids:
            await runtime.knowledge.mark_for_resync(workspace_id, one)
            results.append(await runtime.knowledge.ingest(one))
        return results

    results = run_with_runtime(ctx, work)
    for result in results:
        if result.status == "failed":
            err_console.print(
                f"[red]{result.source_id}: failed:[/red] {result.error}", highlight=False
            )
        else:
            note = "unchanged" if result.skipped else "updated"
            again = (
                f" ({result.refreshed} embedded again by this model)" if result.refreshed else ""
            )
            console.print(
                f"{result.source_id}: {note}, {result.chunks} chunks{again}", highlight=False
            )
    if any(result.status == "failed" for result in results):
        sys.exit(1)


@sources.command("delete")
@click.argument("source_id")
@data_dir_option
@click.pass_context
def delete(ctx: click.Context, source_id: str) -> None:
    """Delete a source with all its chunks and vectors."""

    async def work(runtime: Runtime, workspace_id: str) -> None:
        await runtime.knowledge.delete(workspace_id, source_id)

    run_with_runtime(ctx, work)
    console.print(f"Deleted {source_id}.", highlight=False)
