"""What the visitor panel shows besides the page: referrer, user agent, time zone.

Plain ADD COLUMN (nullable) on both databases: no table copy, triggers untouched.

Revision ID: 0018_visitor_details
Revises: 0017_handoff_wait
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_visitor_details"
down_revision = "0017_handoff_wait"
branch_labels = None
depends_on = None

COLUMNS = (
    ("referrer", sa.Text),
    ("user_agent", sa.String(512)),
    ("timezone", sa.String(64)),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("conversations", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("conversations", name)
