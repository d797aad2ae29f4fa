"""Knowledge-gap titles written by the agents' models.

Revision ID: 0013_gap_titles
Revises: 0012_event_sequence
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_gap_titles"
down_revision = "0012_event_sequence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gap_titles",
        sa.Column(
            "agent_id",
            sa.String(40),
            sa.ForeignKey("agents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("generator", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gap_titles")
