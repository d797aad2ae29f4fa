"""Members, sign-in sessions, invites, API keys, conversations, messages, the event log.

Revision ID: 0002_conversations
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_conversations"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _workspace_fk() -> sa.Column:
    return sa.Column(
        "workspace_id",
        sa.String(40),
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column("theme_color", sa.String(7), nullable=False, server_default="#1f6feb")
        )
        batch.add_column(
            sa.Column("position", sa.String(8), nullable=False, server_default="right")
        )
        batch.add_column(sa.Column("allowed_origins", sa.JSON, nullable=False, server_default="[]"))
    op.create_table(
        "members",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "member_id",
            sa.String(40),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "invited_by",
            sa.String(40),
            sa.ForeignKey("members.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "email"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column(
            "agent_id",
            sa.String(40),
            sa.ForeignKey("agents.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "assignee_id",
            sa.String(40),
            sa.ForeignKey("members.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("visitor_token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("page_url", sa.Text, nullable=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("handoff_trigger", sa.String(40), nullable=True),
        sa.Column("handoff_reason", sa.Text, nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
    )
    op.create_index(
        "ix_conversations_workspace_status", "conversations", ["workspace_id", "status"]
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column(
            "conversation_id",
            sa.String(40),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(40), nullable=True),
        sa.Column("author_name", sa.String(200), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("citations", sa.JSON, nullable=False),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("event", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # Named: the naming convention would give both the same name, which PostgreSQL refuses.
        sa.UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        sa.UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
    )
    op.create_table(
        "read_marks",
        sa.Column(
            "member_id",
            sa.String(40),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "conversation_id",
            sa.String(40),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _workspace_fk(),
        sa.Column("conversation_id", sa.String(40), nullable=True, index=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # Event ids are resume positions: never reuse one.
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    for table in (
        "events",
        "read_marks",
        "messages",
        "conversations",
        "api_keys",
        "invites",
        "auth_sessions",
        "members",
    ):
        op.drop_table(table)
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("allowed_origins")
        batch.drop_column("position")
        batch.drop_column("theme_color")
