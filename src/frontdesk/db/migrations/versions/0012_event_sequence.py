"""Events numbered per workspace in commit order; alert positions per workspace.

Revision ID: 0012_event_sequence
Revises: 0009_teams_usage

``events.seq`` numbers each workspace's stream and ``event_counters`` holds the last number
given out (see events/store.py). Existing events keep their id as their seq: ids were in
commit order on SQLite, and an inbox open across the upgrade resumes from an id it was given,
which must mean the same event afterwards. New events continue from the workspace's largest.

The global alert cursor (the last event id turned into deliveries) becomes one position per
workspace: the largest seq at or below the cursor, so exactly the events after the cursor are
still to be turned into deliveries, none twice.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_event_sequence"
down_revision = "0011_tool_calls"
branch_labels = None
depends_on = None


def _workspace_key() -> sa.Column:
    return sa.Column(
        "workspace_id",
        sa.String(40),
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    )


# recreate="never": the events table can be large and is never copied.
def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("events", recreate="never") as batch:
        batch.add_column(sa.Column("seq", sa.Integer, nullable=False, server_default="0"))
    op.execute("UPDATE events SET seq = id")
    # The unique index also serves lookups by workspace: the old one goes.
    op.create_index("ix_events_workspace_id_seq", "events", ["workspace_id", "seq"], unique=True)
    op.drop_index("ix_events_workspace_id", "events")

    op.create_table(
        "event_counters", _workspace_key(), sa.Column("last_seq", sa.Integer, nullable=False)
    )
    op.execute(
        "INSERT INTO event_counters (workspace_id, last_seq) "
        "SELECT workspace_id, max(seq) FROM events GROUP BY workspace_id"
    )

    op.create_table(
        "alert_positions", _workspace_key(), sa.Column("seq", sa.Integer, nullable=False)
    )
    cursor = bind.scalar(sa.text("SELECT event_id FROM alert_cursors WHERE name = 'alerts'"))
    if cursor is None:  # never started: it would have started after the newest event
        cursor = bind.scalar(sa.text("SELECT coalesce(max(id), 0) FROM events"))
    bind.execute(
        sa.text(
            "INSERT INTO alert_positions (workspace_id, seq) "
            "SELECT workspace_id, max(seq) FROM events WHERE id <= :cursor "
            "GROUP BY workspace_id"
        ),
        {"cursor": int(cursor)},
    )
    op.drop_table("alert_cursors")


def downgrade() -> None:
    cursors = op.create_table(
        "alert_cursors",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("event_id", sa.Integer, nullable=False),
    )
    # The newest event already turned into deliveries: on SQLite, whose ids are in commit
    # order, what came after it is what is still to do.
    done = op.get_bind().scalar(
        sa.text(
            "SELECT coalesce(max(e.id), 0) FROM events e JOIN alert_positions p "
            "ON p.workspace_id = e.workspace_id AND e.seq <= p.seq"
        )
    )
    op.bulk_insert(cursors, [{"name": "alerts", "event_id": int(done or 0)}])
    op.drop_table("alert_positions")
    op.drop_table("event_counters")
    op.create_index("ix_events_workspace_id", "events", ["workspace_id"])
    op.drop_index("ix_events_workspace_id_seq", "events")
    with op.batch_alter_table("events", recreate="never") as batch:
        batch.drop_column("seq")
