"""The embedding model a source's chunks were embedded by (NULL: not known yet).

A sync embeds a source's chunks again when the server's model is another one, so that the
chunks a sync keeps (an unchanged file, unchanged pages) do not keep the vectors of a model
the operator switched away from. ADD COLUMN (nullable) in place on both databases.

Revision ID: 0026_source_embedding_model
Revises: 0025_source_pages
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_source_embedding_model"
down_revision = "0025_source_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("embedding_model", sa.String(120), nullable=True))


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+), as 0025 does: rebuilding `sources` would cascade.
    op.execute("ALTER TABLE sources DROP COLUMN embedding_model")
