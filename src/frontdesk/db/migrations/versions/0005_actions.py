"""Secrets, agent actions, lead card and tags on conversations, action runs.

Revision ID: 0005_actions
Revises: 0004_business_hours
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_actions"
down_revision = "0004_business_hours"
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
        "secrets",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "name", name="uq_secrets_workspace_id"),
    )
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("actions", sa.JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("allowed_hosts", sa.JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("lead", sa.JSON, nullable=True))
        batch.add_column(sa.Column("pending_form", sa.JSON, nullable=True))
        batch.add_column(
            sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0")
        )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("payload", sa.JSON, nullable=True))
    op.create_table(
        "action_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column(
            "conversation_id",
            sa.String(40),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("request", sa.JSON, nullable=False, server_default="{}"),
        sa.Column("response_status", sa.Integer, nullable=True),
        sa.Column("result", sa.JSON, nullable=False, server_default="{}"),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("action_runs")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("payload")
    with op.batch_alter_table("conversations") as batch:
        for column in ("failed_attempts", "pending_form", "lead", "tags"):
            batch.drop_column(column)
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("allowed_hosts")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("actions")
    op.drop_table("secrets")
