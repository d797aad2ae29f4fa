"""Which tables a workspace owns, in what order they are written, and how to find its rows.

Derived from the metadata, never listed by hand: a table belongs to a workspace through a
``workspace_id`` column or a foreign key to a table that does. A table with no such path
must be named in ``NOT_EXPORTED`` with its reason, or planning fails (a new table is never
left behind silently).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, MetaData, Table, select

from frontdesk.errors import FrontdeskError

WORKSPACES = "workspaces"

NOT_EXPORTED = {
    "embedding_cache": "vectors by content hash shared by every workspace; chunks carry theirs",
    "auth_sessions": "sign-ins: members sign in again on the new server",
}

# Integer columns naming a renumbered row without a foreign key, and values built from them:
# a delivery names its event by id, and its dedupe key is "<event id>:<destination>".
VALUE_REFERENCES = {("alert_deliveries", "event_id"): "events"}
PREFIXED_BY_REFERENCE = {("alert_deliveries", "dedupe_key"): "event_id"}


class NoWorkspacePath(FrontdeskError):
    code = "no_workspace_path"


@dataclass(frozen=True)
class Planned:
    """A table in write order, the condition selecting one workspace's rows, and its key."""

    table: Table
    # A single integer primary key the target numbers anew (nothing refers to it by a foreign
    # key: events are remapped where deliveries name them).
    renumbered: str | None

    @property
    def name(self) -> str:
        return self.table.name

    def rows_of(self, workspace_id: str) -> ColumnElement[bool]:
        return _condition(self.table, workspace_id)


def plan(metadata: MetaData) -> list[Planned]:
    """Every workspace-owned table, parents before children."""
    planned = []
    for table in metadata.sorted_tables:  # foreign keys' topological order
        if table.name in NOT_EXPORTED:
            continue
        _condition(table, "")  # fails loudly without a path
        planned.append(Planned(table, _renumbered(table)))
    referenced = {fk.column.table.name for p in planned for fk in p.table.foreign_keys}
    for p in planned:
        if p.renumbered and p.name in referenced:
            raise NoWorkspacePath(f"Table {p.name} is numbered anew on import yet referenced.")
    return planned


def _condition(table: Table, workspace_id: str) -> ColumnElement[bool]:
    if table.name == WORKSPACES:
        return table.c.id == workspace_id
    if "workspace_id" in table.c:
        return table.c.workspace_id == workspace_id
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = fk.column.table
        if parent.name in NOT_EXPORTED or parent is table:
            continue
        try:
            inside = _condition(parent, workspace_id)
        except NoWorkspacePath:
            continue
        return fk.parent.in_(select(fk.column).where(inside))
    raise NoWorkspacePath(
        f"Table {table.name} has no workspace_id and no foreign key leading to one: give it "
        "a path to its workspace, or name it in transfer/tables.py NOT_EXPORTED with a reason."
    )


def _renumbered(table: Table) -> str | None:
    key = list(table.primary_key.columns)
    if len(key) == 1 and isinstance(key[0].type, Integer) and not key[0].foreign_keys:
        return key[0].name
    return None
