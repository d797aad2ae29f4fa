"""How long a visitor waits for a person before the offline form is offered.

Plain ADD/DROP COLUMN, no batch copy of ``agents``: SQLite (3.35+) and PostgreSQL both do it
in place, and a copy would have to drop a table every other table points to.

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
    op.add_column(
        "agents", sa.Column("handoff_wait_s", sa.Integer, nullable=False, server_default="180")
    )


def downgrade() -> None:
    op.execute("ALTER TABLE agents DROP COLUMN handoff_wait_s")
