"""Ingestion as jobs: a source's claim, its lease, its attempts and its next retry.

Revision ID: 0020_ingestion_jobs
Revises: 0019_message_search_postgres
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_ingestion_jobs"
down_revision = "0019_message_search_postgres"
branch_labels = None
depends_on = None


COLUMNS = ("claim", "lease_until", "attempts", "not_before")


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): SQLite and PostgreSQL both add columns in place.
    op.add_column("sources", sa.Column("claim", sa.String(32), nullable=True))
    op.add_column("sources", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "sources", sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0"))
    )
    op.add_column("sources", sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # DROP COLUMN in place too (SQLite 3.35+): rebuilding `sources` would cascade into chunks.
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE sources DROP COLUMN {column}")
