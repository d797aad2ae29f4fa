"""How long an action run took (HTTP actions and the tools a model calls).

Revision ID: 0011_tool_calls
Revises: 0010_usage_models
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_tool_calls"
down_revision = "0010_usage_models"
branch_labels = None
depends_on = None


# ADD/DROP COLUMN alter in place (as 0008): no copy of the table.
def upgrade() -> None:
    with op.batch_alter_table("action_runs", recreate="never") as batch:
        batch.add_column(sa.Column("duration_ms", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_runs", recreate="never") as batch:
        batch.drop_column("duration_ms")
