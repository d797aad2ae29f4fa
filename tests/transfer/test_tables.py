"""The tables an export carries come from the metadata: all of them, parents first."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from frontdesk.schema import Base
from frontdesk.transfer.tables import NOT_EXPORTED, VALUE_REFERENCES, NoWorkspacePath, plan


def test_every_table_is_exported_or_left_out_with_a_reason() -> None:
    planned = [p.name for p in plan(Base.metadata)]
    assert set(planned) | set(NOT_EXPORTED) == set(Base.metadata.tables)
    assert not set(planned) & set(NOT_EXPORTED)
    for p in plan(Base.metadata):
        for fk in p.table.foreign_keys:
            assert planned.index(fk.column.table.name) < planned.index(p.name), (p.name, fk)


def test_a_table_without_a_path_to_its_workspace_fails_loudly() -> None:
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("orphans", metadata, Column("id", String(40), primary_key=True))
    with pytest.raises(NoWorkspacePath, match="orphans"):
        plan(metadata)


def test_a_table_reaching_its_workspace_through_a_parent_is_found() -> None:
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table(
        "reactions",
        metadata,
        Column("message_id", ForeignKey("messages.id"), primary_key=True),
        Column("emoji", String(8), primary_key=True),
    )
    [reactions] = [p for p in plan(metadata) if p.name == "reactions"]
    assert "messages.workspace_id" in str(reactions.rows_of("ws_1"))


def test_integer_ids_without_a_foreign_key_are_followed_when_renumbered() -> None:
    renumbered = {p.name for p in plan(Base.metadata) if p.renumbered}
    assert renumbered == {"events", "chunks", "alert_attempts", "source_pages"}
    loose = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_id")
        and isinstance(column.type, Integer)
        and not column.foreign_keys
    }
    assert loose == set(VALUE_REFERENCES)
