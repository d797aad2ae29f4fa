"""Saved replies: the team's canned responses with a /shortcut.

Revision ID: 0015_saved_replies
Revises: 0014_message_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_saved_replies"
down_revision = "0014_message_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_replies",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.String(40),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("shortcut", sa.String(32), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "shortcut"),
    )


def downgrade() -> None:
    op.drop_table("saved_replies")
