"""Usage per generator and model: AI answers and the prompt and completion tokens of each.

Answers metered before this revision stay in usage_months alone: which model wrote them and
how their tokens split was not kept, so no row is made up for them.

Revision ID: 0010_usage_models
Revises: 0009_teams_usage
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_usage_models"
down_revision = "0009_teams_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_models",
        sa.Column(
            "workspace_id",
            sa.String(40),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("generator", sa.String(32), primary_key=True),
        sa.Column("model", sa.String(255), primary_key=True),
        sa.Column("answers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("usage_models")
