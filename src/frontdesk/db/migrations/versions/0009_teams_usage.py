"""Teams and routing, member presence, handoff summaries, usage metering.

Revision ID: 0009_teams_usage
Revises: 0008_feedback
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_teams_usage"
down_revision = "0008_feedback"
branch_labels = None
depends_on = None


# recreate="never" as in 0007/0008: never copy-and-rename conversations or messages.
def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.String(40),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("route_tags", sa.JSON, nullable=False),
        sa.Column("auto_assign", sa.Boolean, nullable=False),
        sa.Column("max_open", sa.Integer, nullable=False),
        sa.Column("last_assigned_id", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_table(
        "team_members",
        sa.Column(
            "team_id",
            sa.String(40),
            sa.ForeignKey("teams.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "member_id",
            sa.String(40),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "usage_months",
        sa.Column(
            "workspace_id",
            sa.String(40),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("conversations", sa.Integer, nullable=False, server_default="0"),
        sa.Column("visitor_messages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("ai_answers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("tokens", sa.Integer, nullable=False, server_default="0"),
    )
    with op.batch_alter_table("members", recreate="never") as batch:
        batch.add_column(
            sa.Column("presence", sa.String(8), nullable=False, server_default="offline")
        )
        batch.add_column(sa.Column("presence_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("presence_choice", sa.String(8), nullable=False, server_default="online")
        )
    # No foreign key on team_id: SQLite can neither add one in place nor drop such a column
    # again; deleting a team clears it (teams.service.delete_team).
    with op.batch_alter_table("conversations", recreate="never") as batch:
        batch.add_column(sa.Column("team_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("summary", sa.JSON, nullable=True))
    op.create_index("ix_conversations_team_id", "conversations", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_conversations_team_id", "conversations")
    with op.batch_alter_table("conversations", recreate="never") as batch:
        batch.drop_column("summary")
        batch.drop_column("team_id")
    with op.batch_alter_table("members", recreate="never") as batch:
        batch.drop_column("presence_choice")
        batch.drop_column("presence_at")
        batch.drop_column("presence")
    op.drop_table("usage_months")
    op.drop_table("team_members")
    op.drop_table("teams")
