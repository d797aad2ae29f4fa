"""The last visitor message the AI replied to, so two processes never both reply to it.

Revision ID: 0022_ai_answered_seq
Revises: 0021_action_run_lease
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_ai_answered_seq"
down_revision = "0021_action_run_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "conversations",
        sa.Column("ai_answered_seq", sa.Integer, nullable=False, server_default="0"),
    )
    # Replies already stored answered every visitor message before them.
    op.execute(
        "UPDATE conversations SET ai_answered_seq = COALESCE((SELECT MAX(v.seq) FROM messages v "
        "WHERE v.conversation_id = conversations.id AND v.author = 'visitor' AND EXISTS ("
        "SELECT 1 FROM messages a WHERE a.conversation_id = v.conversation_id "
        "AND a.author = 'ai' AND a.seq > v.seq)), 0)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE conversations DROP COLUMN ai_answered_seq")
