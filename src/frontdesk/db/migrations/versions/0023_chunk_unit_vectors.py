"""Each chunk's unit vectors (its sentences, list items and rows, embedded at ingestion).

Plain ADD COLUMN (nullable) on both databases: no table copy, triggers untouched. Chunks
stored before it keep NULL: their units are embedded at ask time until their source is
synced again, which fills the column in even when the content is unchanged.

Revision ID: 0023_chunk_unit_vectors
Revises: 0022_ai_answered_seq
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_chunk_unit_vectors"
down_revision = "0022_ai_answered_seq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chunks", sa.Column("unit_vectors", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    op.drop_column("chunks", "unit_vectors")
