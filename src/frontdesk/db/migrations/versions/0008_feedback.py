"""Visitor feedback: thumbs on AI answers, CSAT on closed conversations.

Revision ID: 0008_feedback
Revises: 0007_tags
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_feedback"
down_revision = "0007_tags"
branch_labels = None
depends_on = None


# recreate="never": a copy-and-rename would DROP the old table, and with foreign keys on
# SQLite cascades that to every message (see 0007_tags). ADD/DROP COLUMN alter in place.
def upgrade() -> None:
    with op.batch_alter_table("messages", recreate="never") as batch:
        batch.add_column(sa.Column("feedback", sa.String(8), nullable=True))
        batch.add_column(sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("conversations", recreate="never") as batch:
        batch.add_column(sa.Column("csat_score", sa.Integer, nullable=True))
        batch.add_column(sa.Column("csat_comment", sa.Text, nullable=True))
        batch.add_column(sa.Column("csat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", recreate="never") as batch:
        batch.drop_column("csat_at")
        batch.drop_column("csat_comment")
        batch.drop_column("csat_score")
    with op.batch_alter_table("messages", recreate="never") as batch:
        batch.drop_column("feedback_at")
        batch.drop_column("feedback")
