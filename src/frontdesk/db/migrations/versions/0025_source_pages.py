"""The pages of web sources (to re-sync only those that changed) and what each sync did.

Plain CREATE TABLE and ADD COLUMN (nullable) on both databases: `sources` is not rebuilt,
which would cascade into its chunks.

Revision ID: 0025_source_pages
Revises: 0024_send_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_source_pages"
down_revision = "0024_send_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "workspace_id",
            sa.String(40),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "source_id",
            sa.String(40),
            sa.ForeignKey("sources.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("requested", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("etag", sa.Text, nullable=True),
        sa.Column("last_modified", sa.Text, nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("links", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_source_pages_source_requested", "source_pages", ["source_id", "requested"], unique=True
    )
    op.add_column("sources", sa.Column("last_sync", sa.JSON, nullable=True))


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+), as 0020 does: rebuilding `sources` would cascade.
    op.execute("ALTER TABLE sources DROP COLUMN last_sync")
    op.drop_index("ix_source_pages_source_requested", table_name="source_pages")
    op.drop_table("source_pages")
