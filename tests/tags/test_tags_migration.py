"""Migration 0007 moves the JSON tags of conversations into the catalog, and back."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import text

from frontdesk.db.engine import Database
from frontdesk.db.migrate import alembic_config

NOW = "2026-01-01 00:00:00"


async def test_old_json_tags_move_into_the_catalog(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0006_alerts"))
            for ws in ("ws_1", "ws_2"):
                await connection.execute(
                    text(
                        "INSERT INTO workspaces (id, name, slug, created_at, updated_at) "
                        "VALUES (:id, :id, :id, :now, :now)"
                    ),
                    {"id": ws, "now": NOW},
                )
                await connection.execute(
                    text(
                        "INSERT INTO agents (id, workspace_id, name, public_key, greeting, "
                        "instructions, handoff_message, language, confidence_threshold, "
                        "generator, generator_config, created_at, updated_at) VALUES "
                        "(:id, :ws, 'Dealer', :id, '', '', '', 'en', 0.4, 'extractive', '{}', "
                        ":now, :now)"
                    ),
                    {"id": f"agt_{ws}", "ws": ws, "now": NOW},
                )
            old = {
                "cv_1": ("ws_1", ["financing", "sales"]),
                "cv_2": ("ws_1", ["financing", "financing"]),
                "cv_3": ("ws_1", []),
                "cv_4": ("ws_2", ["financing", "Not a tag!"]),
            }
            for cid, (ws, tags) in old.items():
                await connection.execute(
                    text(
                        "INSERT INTO conversations (id, workspace_id, agent_id, status, priority, "
                        "visitor_token_hash, last_seq, created_at, updated_at, tags) VALUES "
                        "(:id, :ws, :agent, 'bot', 'normal', :id, 1, :now, :now, :tags)"
                    ),
                    {
                        "id": cid,
                        "ws": ws,
                        "agent": f"agt_{ws}",
                        "now": NOW,
                        "tags": json.dumps(tags),
                    },
                )
                await connection.execute(
                    text(
                        "INSERT INTO messages (id, workspace_id, conversation_id, seq, author, "
                        "text, private, citations, created_at) VALUES "
                        "(:mid, :ws, :id, 1, 'visitor', 'hello', 0, '[]', :now)"
                    ),
                    {"mid": f"msg_{cid}", "id": cid, "ws": ws, "now": NOW},
                )
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0007_tags"))

            catalog = (
                await connection.execute(
                    text("SELECT workspace_id, name, color FROM tags ORDER BY workspace_id, name")
                )
            ).all()
            assert [(ws, name) for ws, name, _ in catalog] == [
                ("ws_1", "financing"),
                ("ws_1", "sales"),
                ("ws_2", "financing"),
            ]
            assert all(color.startswith("#") and len(color) == 7 for _, _, color in catalog)
            links = (
                await connection.execute(
                    text(
                        "SELECT ct.conversation_id, t.workspace_id, t.name, ct.added_by "
                        "FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id "
                        "ORDER BY ct.conversation_id, t.name"
                    )
                )
            ).all()
            assert [tuple(row) for row in links] == [
                ("cv_1", "ws_1", "financing", "rule"),
                ("cv_1", "ws_1", "sales", "rule"),
                ("cv_2", "ws_1", "financing", "rule"),
                ("cv_4", "ws_2", "financing", "rule"),
            ]
            columns = await connection.run_sync(
                lambda c: [r[1] for r in c.exec_driver_sql("PRAGMA table_info(conversations)")]
            )
            assert "tags" not in columns
            # Dropping the column did not cascade to the conversations' messages.
            messages = await connection.scalar(text("SELECT count(*) FROM messages"))
            assert messages == 4

            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0006_alerts"))
            back = dict(
                (await connection.execute(text("SELECT id, tags FROM conversations"))).all()
            )
            assert {cid: json.loads(tags) for cid, tags in back.items()} == {
                "cv_1": ["financing", "sales"],
                "cv_2": ["financing"],
                "cv_3": [],
                "cv_4": ["financing"],
            }
            tables = await connection.run_sync(
                lambda c: c.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
            )
            assert "tags" not in tables and "conversation_tags" not in tables
    finally:
        await db.dispose()
