"""The export archive: a zip of JSON Lines per table, the uploaded files and a manifest.

```
manifest.json              format, schema revision, workspace, per table: columns, rows, sha256
tables/<table>.jsonl       one row per line, in write order; bytes as base64, times ISO 8601
files/<source>/<name>      uploaded files, each with its sha256 in the manifest
```

A reader trusts nothing before it has checked it: the manifest's format and schema revision,
then every member's size and checksum, so a truncated or edited archive is refused before a
single row is written anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import Column, DateTime, LargeBinary, Table
from sqlalchemy.types import TypeDecorator, TypeEngine

from frontdesk.errors import FrontdeskError

FORMAT = "frontdesk-workspace"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_ID = re.compile(r"^[a-z]+_[0-9a-z]+$")  # db.base.new_id: the ids paths are made of
_CHUNK = 1 << 20


class BadArchive(FrontdeskError):
    code = "bad_archive"


@dataclass(frozen=True)
class TableEntry:
    name: str
    columns: list[str]
    rows: int
    sha256: str


@dataclass(frozen=True)
class FileEntry:
    path: str  # inside the archive: files/<source id>/<name>
    source_id: str
    size: int
    sha256: str


def _kind(type_: TypeEngine[Any]) -> str:
    impl = type_.impl_instance if isinstance(type_, TypeDecorator) else type_
    if isinstance(impl, DateTime):
        return "time"
    if isinstance(impl, LargeBinary):
        return "bytes"
    return "plain"


class RowCodec:
    """A table's rows as JSON objects and back, by its columns' types."""

    def __init__(self, table: Table):
        self.columns: list[Column[Any]] = list(table.columns)
        self.kinds = {column.name: _kind(column.type) for column in self.columns}

    def encode(self, row: dict[str, Any]) -> bytes:
        out = {}
        for name, kind in self.kinds.items():
            value = row[name]
            if value is not None and kind == "time":
                value = value.isoformat()
            elif value is not None and kind == "bytes":
                value = base64.b64encode(value).decode()
            out[name] = value
        return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def decode(self, line: bytes, where: str) -> dict[str, Any]:
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or set(data) != set(self.kinds):
                raise ValueError("columns differ from the table's")
            for name, kind in self.kinds.items():
                value = data[name]
                if value is not None and kind == "time":
                    data[name] = datetime.fromisoformat(value)
                elif value is not None and kind == "bytes":
                    data[name] = base64.b64decode(value, validate=True)
        except (ValueError, TypeError) as exc:
            raise BadArchive(f"{where}: a row cannot be read ({exc}).") from None
        return data


class Hashed:
    """A writable member that counts and hashes what goes through it."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.target.write(data)
        self.digest.update(data)
        self.size += len(data)
        self.writes += 1


class Writer:
    """Writes an archive to ``path`` (via a temporary file: a failed export leaves nothing)."""

    def __init__(self, path: Path):
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.zip = zipfile.ZipFile(self.partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.tables: list[TableEntry] = []
        self.files: list[FileEntry] = []

    def member(self, name: str) -> IO[bytes]:
        return self.zip.open(name, "w", force_zip64=True)

    @contextmanager
    def table(self, name: str, columns: list[str]) -> Iterator[Hashed]:
        """A member for a table's rows: write one encoded row per call."""
        with self.member(f"tables/{name}.jsonl") as raw:
            out = Hashed(raw)
            yield out
        self.tables.append(TableEntry(name, columns, out.writes, out.digest.hexdigest()))

    def add_file(self, source_id: str, file: Path) -> None:
        path = f"files/{source_id}/{file.name}"
        with file.open("rb") as read, self.member(path) as raw:
            out = Hashed(raw)
            while data := read.read(_CHUNK):
                out.write(data)
        self.files.append(FileEntry(path, source_id, out.size, out.digest.hexdigest()))

    def finish(self, manifest: dict[str, Any]) -> None:
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **manifest,
            "tables": [vars(t) for t in self.tables],
            "files": [vars(f) for f in self.files],
        }
        self.zip.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
        self.zip.close()
        self.partial.replace(self.path)

    def abandon(self) -> None:
        self.zip.close()
        self.partial.unlink(missing_ok=True)


class Reader:
    """An archive opened for import; ``check()`` before reading anything else from it."""

    def __init__(self, path: Path):
        try:
            self.zip = zipfile.ZipFile(path)
            self.manifest = json.loads(self.zip.read(MANIFEST))
        except FileNotFoundError:
            raise BadArchive(f"There is no file {path}.") from None
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise BadArchive(
                f"{path} is not a Frontdesk export (or it is damaged or truncated): {exc}"
            ) from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise BadArchive(f"{path} is not a Frontdesk workspace export.")
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise BadArchive(
                f"{path} has export format {self.manifest.get('format_version')}; this "
                f"Frontdesk reads format {FORMAT_VERSION}."
            )
        try:
            self.tables = [TableEntry(**t) for t in self.manifest["tables"]]
            self.files = [FileEntry(**f) for f in self.manifest["files"]]
            self.workspace = dict(self.manifest["workspace"])
            self.revision = str(self.manifest["schema_revision"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BadArchive(f"The manifest of {path} is incomplete: {exc}.") from None
        if not _ID.match(str(self.workspace.get("id"))):
            raise BadArchive(f"The manifest names an unexpected workspace {self.workspace!r}.")
        for entry in self.files:
            parts = PurePosixPath(entry.path).parts
            if (
                len(parts) != 3
                or parts[:2] != ("files", entry.source_id)
                or not _ID.match(entry.source_id)
                or parts[2] in (".", "..")
            ):
                raise BadArchive(f"The manifest names an unexpected file {entry.path!r}.")

    def rows(self, entry: TableEntry, codec: RowCodec) -> Iterator[dict[str, Any]]:
        where = f"tables/{entry.name}.jsonl"
        with self._open(where) as member:
            for line in member:
                yield codec.decode(line, where)

    def file(self, entry: FileEntry) -> IO[bytes]:
        return self._open(entry.path)

    def check(self) -> None:
        """Every member there, whole, as the manifest describes it (or BadArchive)."""
        for table in self.tables:
            self._check_member(f"tables/{table.name}.jsonl", table.sha256, lines=table.rows)
        for file in self.files:
            self._check_member(file.path, file.sha256, size=file.size)

    def _check_member(
        self, name: str, sha256: str, lines: int | None = None, size: int | None = None
    ) -> None:
        digest, read, count = hashlib.sha256(), 0, 0
        try:
            with self._open(name) as member:
                while data := member.read(_CHUNK):
                    digest.update(data)
                    read += len(data)
                    count += data.count(b"\n")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BadArchive(f"{name} is damaged in the archive: {exc}") from None
        if digest.hexdigest() != sha256 or (size is not None and read != size):
            raise BadArchive(f"{name} does not match its checksum: the archive was changed.")
        if lines is not None and count != lines:
            raise BadArchive(f"{name} holds {count} rows, the manifest says {lines}.")

    def _open(self, name: str) -> IO[bytes]:
        try:
            return self.zip.open(name)
        except KeyError:
            raise BadArchive(f"The archive lacks {name}.") from None

    def close(self) -> None:
        self.zip.close()
