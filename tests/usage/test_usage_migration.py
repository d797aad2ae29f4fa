"""Migration 0010 adds the per-model usage table to a database that already meters usage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text

from frontdesk.db.engine import Database
from frontdesk.db.migrate import alembic_config
from frontdesk.usage import meter
from frontdesk.usage.service import usage_report

NOW = "2026-01-01 00:00:00"


async def test_existing_usage_is_kept_and_new_answers_are_counted_per_model(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(
                lambda c: command.upgrade(alembic_config(c), "0009_teams_usage")
            )
            await connection.execute(
                text(
                    "INSERT INTO workspaces (id, name, slug, created_at, updated_at) "
                    "VALUES ('ws_1', 'Ridgeline', 'ridgeline', :now, :now)"
                ),
                {"now": NOW},
            )
            await connection.execute(
                text(
                    "INSERT INTO usage_months (workspace_id, month, conversations, "
                    "visitor_messages, ai_answers, tokens) VALUES "
                    "('ws_1', '2025-12', 4, 9, 7, 1200), ('ws_1', '2026-01', 1, 2, 2, 0)"
                )
            )
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            kept = (
                await connection.execute(
                    text("SELECT month, ai_answers, tokens FROM usage_months ORDER BY month")
                )
            ).all()
            assert [tuple(row) for row in kept] == [("2025-12", 7, 1200), ("2026-01", 2, 0)]
            assert await connection.scalar(text("SELECT count(*) FROM usage_models")) == 0

        async with db.transaction() as session:
            at = datetime(2026, 1, 15, 10, tzinfo=UTC)
            await meter.count_answer(session, "ws_1", at, "openai", "gpt-4o-mini", 250, 30)
        async with db.session() as session:
            report = await usage_report(session, "ws_1", "2025-12", "2026-01")
        january, december = report.months
        # The old answers stay in the month's counters, with no made-up model row.
        assert (january.ai_answers, january.tokens) == (3, 280)
        assert [
            (m.generator, m.model, m.answers, m.prompt_tokens, m.completion_tokens)
            for m in january.models
        ] == [("openai", "gpt-4o-mini", 1, 250, 30)]
        assert (december.ai_answers, december.tokens, december.models) == (7, 1200, [])
        assert report.totals.ai_answers == 10 and len(report.totals.models) == 1

        async with db.engine.begin() as connection:
            await connection.run_sync(
                lambda c: command.downgrade(alembic_config(c), "0009_teams_usage")
            )
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
            assert "usage_models" not in tables and "usage_months" in tables
            months = await connection.scalar(text("SELECT count(*) FROM usage_months"))
            assert months == 2
    finally:
        await db.dispose()
