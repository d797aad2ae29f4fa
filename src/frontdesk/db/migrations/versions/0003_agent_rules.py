"""Escalation rules on each agent.

Revision ID: 0003_agent_rules
Revises: 0002_conversations
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_agent_rules"
down_revision = "0002_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("rules", sa.JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("rules")
