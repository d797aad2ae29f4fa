"""Ingestion as jobs: a source's claim, its lease, its attempts and its next retry.

Revision ID: 0017_ingestion_jobs
Revises: 0016_postgres_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_ingestion_jobs"
down_revision = "0016_postgres_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("claim", sa.String(32), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("not_before")
        batch.drop_column("attempts")
        batch.drop_column("lease_until")
        batch.drop_column("claim")
