"""Read an archive into this server's database: all of it in one transaction, or nothing.

Everything that can be checked without the target is checked first (format, schema revision,
columns, checksums, that this server's key opens the archive's secrets); only then is the
target migrated and written. The target must not hold the workspace yet; an empty workspace
with the same slug (the one a first start creates) is replaced.

Rows keep their ids, except integer keys the database numbers (events, chunks, webhook
attempts): the target numbers them anew so they cannot collide with its own, and a delivery's
reference to its event follows. Event ``seq``, the workspace's event counter, message ``seq``
and each conversation's ``last_seq`` come across unchanged, so new events and messages
continue their sequences and a dispatcher resumes at the alert position it had. The target's
search indexes follow the rows as they are written (SQLite's FTS5 tables by their triggers,
PostgreSQL's tsvector and HNSW index from the columns); vectors are not computed again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import JSON, MetaData, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Workspace
from frontdesk.alerts.models import Webhook
from frontdesk.alerts.webhooks import secret_of
from frontdesk.conversations.models import Conversation, Message
from frontdesk.db.engine import Database
from frontdesk.db.migrate import head_revision, upgrade
from frontdesk.errors import Conflict, FrontdeskError
from frontdesk.events.store import EventCounter, EventRecord
from frontdesk.knowledge.models import Source
from frontdesk.transfer.archive import BadArchive, Reader, RowCodec, TableEntry
from frontdesk.transfer.tables import (
    PREFIXED_BY_REFERENCE,
    VALUE_REFERENCES,
    WORKSPACES,
    Planned,
    plan,
)
from frontdesk.vault.cipher import Cipher, SecretKeyError
from frontdesk.vault.models import Secret
from frontdesk.vault.service import open_secret

_BATCH = 500


class WrongKey(FrontdeskError):
    code = "wrong_secret_key"


@dataclass
class Imported:
    workspace: dict[str, str]
    rows: dict[str, int]
    files: int
    replaced: str | None  # the id of an empty workspace of the same slug that gave way


async def import_workspace(
    db: Database, metadata: MetaData, uploads_dir: Path, cipher: Cipher, path: Path
) -> Imported:
    """Import the archive at ``path``; on any error nothing of it stays in the target."""
    reader = Reader(path)
    try:
        planned = plan(metadata)
        entries = _check_schema(reader, planned)
        reader.check()
        _check_key(reader, entries, planned, cipher)
        await upgrade(db)
        written: list[Path] = []
        try:
            async with db.transaction(bulk=True) as session:
                replaced = await _make_room(session, planned, reader.workspace)
                files = _write_files(reader, uploads_dir, written)
                rows = await _insert_all(session, reader, entries, planned, files)
                await _check_sequences(session, reader.workspace["id"])
        except IntegrityError as exc:
            _remove(written, uploads_dir)
            raise Conflict(
                f"The target database refused the archive's rows ({exc.orig}); nothing was "
                "imported."
            ) from None
        except BaseException:
            _remove(written, uploads_dir)
            raise
        return Imported(reader.workspace, rows, len(files), replaced)
    finally:
        reader.close()


def _check_schema(reader: Reader, planned: Sequence[Planned]) -> dict[str, TableEntry]:
    if reader.revision != head_revision():
        raise BadArchive(
            f"The archive was exported at schema {reader.revision}; this Frontdesk is at "
            f"{head_revision()}. Import it with the Frontdesk version that exported it (or "
            "upgrade the exporting server first and export again)."
        )
    entries = {entry.name: entry for entry in reader.tables}
    wanted = {p.name for p in planned}
    if set(entries) != wanted:
        missing, extra = sorted(wanted - set(entries)), sorted(set(entries) - wanted)
        raise BadArchive(f"The archive's tables differ: missing {missing}, unknown {extra}.")
    for p in planned:
        if set(entries[p.name].columns) != set(p.table.c.keys()):
            raise BadArchive(f"The archive's columns of {p.name} differ from this schema's.")
    return entries


def _check_key(
    reader: Reader, entries: dict[str, TableEntry], planned: Sequence[Planned], cipher: Cipher
) -> None:
    """Every sealed value opens with this server's key, or WrongKey before anything is written."""
    tables = {p.name: p.table for p in planned}
    try:
        for row in reader.rows(entries[Secret.__tablename__], RowCodec(tables["secrets"])):
            open_secret(cipher, Secret(**row))
        for row in reader.rows(entries[Webhook.__tablename__], RowCodec(tables["webhooks"])):
            secret_of(cipher, Webhook(**row))
    except SecretKeyError:
        raise WrongKey(
            "The archive's secrets were sealed with another key than this server's. Set "
            "FRONTDESK_SECRET_KEY to the exporting server's key (or copy its data directory's "
            "secret.key here) and import again; nothing was imported."
        ) from None


async def _make_room(
    session: AsyncSession, planned: Sequence[Planned], workspace: dict[str, str]
) -> str | None:
    """Refuse a workspace that is there already; remove an empty one holding the slug."""
    if await session.get(Workspace, workspace["id"]) is not None:
        raise Conflict(
            f"The target already has workspace {workspace['id']} ({workspace['slug']}); "
            "nothing was imported."
        )
    same_slug = await session.scalar(select(Workspace).where(Workspace.slug == workspace["slug"]))
    if same_slug is None:
        return None
    for p in planned:
        if p.name != WORKSPACES and "workspace_id" in p.table.c:
            owned = await session.scalar(
                select(func.count()).select_from(p.table).where(p.rows_of(same_slug.id))
            )
            if owned:
                raise Conflict(
                    f"The target already has a workspace '{workspace['slug']}' with data "
                    f"({p.name}); import into an empty database. Nothing was imported."
                )
    await session.delete(same_slug)
    await session.flush()
    return same_slug.id


def _write_files(reader: Reader, uploads_dir: Path, written: list[Path]) -> dict[str, Path]:
    """The archive's uploads under this server's uploads directory; source id -> new path."""
    paths = {}
    for entry in reader.files:
        name = PurePosixPath(entry.path).name
        target = uploads_dir / reader.workspace["id"] / entry.source_id / name
        if target.exists():
            raise Conflict(f"{target} exists already; nothing was imported.")
        target.parent.mkdir(parents=True, exist_ok=True)
        with reader.file(entry) as member, target.open("xb") as out:
            written.append(target)
            shutil.copyfileobj(member, out)
        paths[entry.source_id] = target
    return paths


async def _insert_all(
    session: AsyncSession,
    reader: Reader,
    entries: dict[str, TableEntry],
    planned: Sequence[Planned],
    files: dict[str, Path],
) -> dict[str, int]:
    workspace_id = reader.workspace["id"]
    numbered: dict[str, dict[int, int]] = {}  # table -> old key -> new key
    counts = {}
    for p in planned:
        rows = reader.rows(entries[p.name], RowCodec(p.table))
        statement = _insert(p)
        counts[p.name] = 0
        for batch in _batches(rows):
            for row in batch:
                if row.get("workspace_id", workspace_id) != workspace_id or (
                    p.name == WORKSPACES and row["id"] != workspace_id
                ):
                    raise BadArchive(f"{p.name} holds rows of another workspace.")
                _follow(p.name, row, numbered, files)
            if p.renumbered:
                old = [row.pop(p.renumbered) for row in batch]
                new = await session.scalars(statement, batch)
                numbered.setdefault(p.name, {}).update(zip(old, new, strict=True))
            else:
                await session.execute(statement, batch)
            counts[p.name] += len(batch)
    return counts


def _insert(p: Planned) -> Any:
    # A None in a nullable JSON column is SQL NULL, as the product writes it, not JSON null.
    nulls = {
        c.name: bindparam(c.name, type_=JSON(none_as_null=True))
        for c in p.table.columns
        if isinstance(c.type, JSON) and c.nullable
    }
    statement = insert(p.table).values(nulls) if nulls else insert(p.table)
    if p.renumbered:
        return statement.returning(p.table.c[p.renumbered], sort_by_parameter_order=True)
    return statement


def _follow(
    table: str, row: dict[str, Any], numbered: dict[str, dict[int, int]], files: dict[str, Path]
) -> None:
    """Point a row at what moved: renumbered rows it names, its uploaded file's new place."""
    if table == Source.__tablename__ and row["id"] in files:
        row["file_path"] = str(files[row["id"]])
    for (owner, column), target in VALUE_REFERENCES.items():
        if owner == table and row[column] is not None:
            row[column] = numbered.get(target, {}).get(row[column], row[column])
    for (owner, column), reference in PREFIXED_BY_REFERENCE.items():
        if owner == table and row[column] is not None and row[reference] is not None:
            _, sep, rest = row[column].partition(":")
            if sep:
                row[column] = f"{row[reference]}:{rest}"


async def _check_sequences(session: AsyncSession, workspace_id: str) -> None:
    """The counters the archive carries are at or past what they count (else new events or
    messages would reuse numbers)."""
    last_event = await session.scalar(
        select(func.max(EventRecord.seq)).where(EventRecord.workspace_id == workspace_id)
    )
    counter = await session.scalar(
        select(EventCounter.last_seq).where(EventCounter.workspace_id == workspace_id)
    )
    if (last_event or 0) > (counter or 0):
        raise BadArchive(f"The archive's event counter ({counter}) is behind its events.")
    behind = await session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.last_seq
            < select(func.max(Message.seq))
            .where(Message.conversation_id == Conversation.id)
            .scalar_subquery(),
        )
    )
    if behind:
        raise BadArchive(f"{behind} conversation(s) in the archive count fewer messages than hold.")


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(rows, _BATCH)):
        yield batch


def _remove(written: list[Path], uploads_dir: Path) -> None:
    for path in written:
        path.unlink(missing_ok=True)
        for folder in path.parents:
            if folder == uploads_dir or not folder.is_relative_to(uploads_dir):
                break
            try:
                folder.rmdir()
            except OSError:
                break
