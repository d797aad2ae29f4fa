"""Write one workspace to an archive: every row it owns, read from one snapshot, and the files
uploaded to it.

What the archive holds as it was: password and API-key hashes (argon2 / sha256), the vault's
and webhooks' ciphertexts (sealed with the server key: the target needs the same key), chunk
vectors (so search works on the target without embedding again), the event log with each
workspace counter, messages with their ``seq``. Search indexes are not in it: the target's
database builds its own from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk import __version__
from frontdesk.accounts.models import Workspace
from frontdesk.accounts.service import DEFAULT_SLUG
from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.db.migrate import current_revision, head_revision
from frontdesk.errors import FrontdeskError, NotFound
from frontdesk.knowledge.models import Source
from frontdesk.transfer.archive import RowCodec, Writer
from frontdesk.transfer.tables import NOT_EXPORTED, plan

_BATCH = 1000
SECRETS_NOTE = (
    "Secrets and webhook signing secrets are copied as ciphertext sealed with this server's "
    "key; the importing server needs the same FRONTDESK_SECRET_KEY (or the same secret.key "
    "in its data directory), and refuses the archive otherwise."
)


@dataclass
class Exported:
    path: Path
    workspace: dict[str, str]
    rows: dict[str, int]
    files: int
    external_files: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)


async def find_workspace(session: AsyncSession, wanted: str) -> Workspace:
    """A workspace by id or slug; ``default`` is the one the server creates."""
    slug = DEFAULT_SLUG if wanted == "default" else wanted
    found = await session.scalar(
        select(Workspace).where((Workspace.id == wanted) | (Workspace.slug == slug))
    )
    if found is None:
        raise NotFound(f"There is no workspace '{wanted}'.")
    return found


async def export_workspace(
    db: Database, metadata: MetaData, uploads_dir: Path, wanted: str, out: Path
) -> Exported:
    """Write workspace ``wanted`` (id, slug or ``default``) to the archive ``out``."""
    revision = await current_revision(db)
    if revision != head_revision():
        raise FrontdeskError(
            f"The database is at schema {revision}, this Frontdesk at {head_revision()}: "
            "start it once (or run any frontdesk command) to migrate, then export."
        )
    writer = Writer(out)
    try:
        async with db.session() as session, session.begin():
            if db.dialect == "postgresql":  # one snapshot for every table
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            workspace = await find_workspace(session, wanted)
            rows = {}
            for planned in plan(metadata):
                codec = RowCodec(planned.table)
                key = list(planned.table.primary_key.columns)
                query = select(planned.table).where(planned.rows_of(workspace.id)).order_by(*key)
                result = await session.stream(query.execution_options(yield_per=_BATCH))
                with writer.table(planned.name, [c.name for c in codec.columns]) as member:
                    async for batch in result.mappings().partitions():
                        for row in batch:
                            member.write(codec.encode(dict(row)))
                    rows[planned.name] = member.writes
            done = Exported(
                out,
                {"id": workspace.id, "slug": workspace.slug, "name": workspace.name},
                rows,
                0,
            )
            await _add_files(session, writer, workspace.id, uploads_dir, done)
        writer.finish(_manifest(db, revision, done))
    except BaseException:
        writer.abandon()
        raise
    return done


async def _add_files(
    session: AsyncSession, writer: Writer, workspace_id: str, uploads_dir: Path, done: Exported
) -> None:
    """Uploaded files go in the archive; a file registered by its own path stays where it is
    (the source keeps its path, to be re-read there or removed)."""
    uploads = uploads_dir.resolve()
    sources = await session.scalars(
        select(Source)
        .where(Source.workspace_id == workspace_id, Source.file_path.is_not(None))
        .order_by(Source.id)
    )
    for source in sources:
        path = Path(source.file_path or "").resolve()
        if not path.is_relative_to(uploads):
            done.external_files.append(str(path))
        elif not path.is_file():
            done.missing_files.append(str(path))
        else:
            writer.add_file(source.id, path)
            done.files += 1


def _manifest(db: Database, revision: str, done: Exported) -> dict[str, Any]:
    return {
        "schema_revision": revision,
        "frontdesk_version": __version__,
        "exported_at": utcnow().isoformat(),
        "source_database": db.dialect,
        "workspace": done.workspace,
        "secrets": SECRETS_NOTE,
        "passwords": "argon2 hashes, as stored: members sign in with their passwords.",
        "not_exported": NOT_EXPORTED,
        "external_files": done.external_files,
        "missing_files": done.missing_files,
    }
