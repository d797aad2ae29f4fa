"""Deliveries and HTTP action runs are sent as jobs: when the job of each was last sent.

Revision ID: 0024_send_jobs
Revises: 0022_ai_answered_seq
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_send_jobs"
down_revision = "0023_chunk_unit_vectors"
branch_labels = None
depends_on = None

TABLES = ("alert_deliveries", "action_runs")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("job_sent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("job_sent_at")
