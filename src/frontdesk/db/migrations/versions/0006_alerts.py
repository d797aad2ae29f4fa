"""Alerts: webhook endpoints, the delivery outbox and its attempts, cursor, preferences.

Revision ID: 0006_alerts
Revises: 0005_actions
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_alerts"
down_revision = "0005_actions"
branch_labels = None
depends_on = None


def _workspace_fk() -> sa.Column:
    return sa.Column(
        "workspace_id",
        sa.String(40),
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.JSON, nullable=False, server_default="[]"),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("secret_ciphertext", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column(
            "webhook_id",
            sa.String(40),
            sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
            nullable=True,
            index=True,
        ),
        sa.Column(
            "member_id",
            sa.String(40),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("event_id", sa.Integer, nullable=True),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("dedupe_key", sa.String(120), nullable=True, unique=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("retries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "alert_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id",
            sa.String(40),
            sa.ForeignKey("alert_deliveries.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("response_excerpt", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    cursors = op.create_table(
        "alert_cursors",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("event_id", sa.Integer, nullable=False),
    )
    # Start after the events that already exist: history is not replayed to new webhooks.
    newest = op.get_bind().scalar(sa.text("SELECT coalesce(max(id), 0) FROM events"))
    op.bulk_insert(cursors, [{"name": "alerts", "event_id": int(newest or 0)}])
    op.create_table(
        "alert_preferences",
        sa.Column(
            "member_id",
            sa.String(40),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("email_alerts", sa.Boolean, nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    op.drop_table("alert_preferences")
    op.drop_table("alert_cursors")
    op.drop_table("alert_attempts")
    op.drop_table("alert_deliveries")
    op.drop_table("webhooks")
