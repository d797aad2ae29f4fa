"""How long a visitor waits for a person before the offline form is offered.

Revision ID: 0017_handoff_wait
Revises: 0016_postgres_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_handoff_wait"
down_revision = "0016_postgres_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column("handoff_wait_s", sa.Integer, nullable=False, server_default="180")
        )


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("handoff_wait_s")
