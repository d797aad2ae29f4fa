"""Action runs get a lease: the process sending a running HTTP run holds it until then.

Revision ID: 0021_action_run_lease
Revises: 0020_ingestion_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_action_run_lease"
down_revision = "0020_ingestion_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_runs") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_runs") as batch:
        batch.drop_column("lease_until")
