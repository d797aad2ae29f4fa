"""frontdesk export | import: a whole workspace to an archive and back, e.g. SQLite to
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import click

from frontdesk.cli.common import data_dir_option


@click.command("export")
@click.option(
    "--workspace",
    "wanted",
    default="default",
    show_default=True,
    help="Workspace id or slug; 'default' is the one the server creates.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The archive to write (a .zip).",
)
@data_dir_option
@click.pass_context
def export(ctx: click.Context, wanted: str, out: Path) -> None:
    """Write a workspace (rows, uploaded files, vectors, events) to an archive."""
    from frontdesk import schema
    from frontdesk.cli.common import console, run_with_runtime
    from frontdesk.runtime import Runtime
    from frontdesk.transfer.export import Exported, export_workspace

    async def work(runtime: Runtime, _default: str) -> Exported:
        uploads = runtime.settings.uploads_dir
        return await export_workspace(runtime.db, schema.Base.metadata, uploads, wanted, out)

    done = run_with_runtime(ctx, work)
    rows = sum(done.rows.values())
    console.print(
        f"Exported workspace {done.workspace['slug']} ({done.workspace['id']}): {rows:,} rows "
        f"in {len(done.rows)} tables, {done.files} files, {out.stat().st_size:,} bytes -> {out}",
        highlight=False,
    )
    for path in done.external_files:
        console.print(f"[yellow]not copied[/yellow] (registered by its path): {path}")
    for path in done.missing_files:
        console.print(f"[yellow]missing[/yellow] (its source keeps the old path): {path}")
    console.print(
        "Secrets are sealed with this server's key: the importing server needs the same "
        "FRONTDESK_SECRET_KEY (or this data directory's secret.key).",
        highlight=False,
    )


@click.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@click.pass_context
def import_(ctx: click.Context, archive: Path) -> None:
    """Read an exported workspace into the database of FRONTDESK_DATABASE_URL, in one
    transaction: into an empty database or one without that workspace."""
    import asyncio
    import sys

    from frontdesk import schema
    from frontdesk.cli.common import console, err_console, settings_from
    from frontdesk.errors import FrontdeskError
    from frontdesk.runtime import Runtime
    from frontdesk.transfer.importer import Imported, import_workspace

    async def main() -> Imported:
        runtime = Runtime(settings_from(ctx))
        try:
            uploads = runtime.settings.uploads_dir
            uploads.mkdir(parents=True, exist_ok=True)  # and the data directory
            metadata = schema.Base.metadata
            return await import_workspace(runtime.db, metadata, uploads, runtime.cipher, archive)
        finally:
            await runtime.close()

    try:
        done = asyncio.run(main())
    except FrontdeskError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(1)
    rows = sum(done.rows.values())
    console.print(
        f"Imported workspace {done.workspace['slug']} ({done.workspace['id']}): {rows:,} rows, "
        f"{done.files} files.",
        highlight=False,
    )
