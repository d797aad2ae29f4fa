"""Business hours on each agent.

Revision ID: 0004_business_hours
Revises: 0003_agent_rules
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_business_hours"
down_revision = "0003_agent_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("business_hours", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("business_hours")
